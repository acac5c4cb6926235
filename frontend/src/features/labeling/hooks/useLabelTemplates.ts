/**
 * What the video's labeled frames teach the editor: the nearest earlier frame's
 * instances ("copy previous") and the skeleton's mean pose ("stamp"). Both are
 * recomputed when the labeled-frame list or the frame changes.
 */
import { useEffect } from 'react';
import type { LabeledFrameSummary } from '../api/labeledFrames';
import { meanPoseTemplate } from '../meanPose';
import { pointMap, previousLabeledPose, type EditorState } from '../state';

export function useLabelTemplates(
  frames: readonly LabeledFrameSummary[] | null | undefined,
  frameIndex: number,
  editorRef: { readonly current: EditorState },
  setEditor: (s: EditorState) => void,
): void {
  useEffect(() => {
    const ed = editorRef.current;
    const previous = previousLabeledPose(frames ?? [], frameIndex, ed.nodeIds);
    setEditor({ ...ed, previous });
  }, [frames, frameIndex, editorRef, setEditor]);

  useEffect(() => {
    const ed = editorRef.current;
    const poses = (frames ?? []).flatMap((f) =>
      (f.instances ?? []).filter((i) => i.source === 'human').map((i) => pointMap(i.points, ed.nodeIds)),
    );
    setEditor({ ...ed, meanPose: meanPoseTemplate(poses, ed.nodeIds) });
  }, [frames, editorRef, setEditor]);
}
