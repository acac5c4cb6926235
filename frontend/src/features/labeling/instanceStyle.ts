/**
 * How each instance of a multi-animal frame is drawn and listed (pure): its
 * track's colour from the project's list and its name. Instances without a
 * track (or with a name the list does not know) get a colour by position and
 * the name "Instance n".
 */
import type { InstanceStyle, PointMap } from './canvas/render';
import { currentDoc, isMultiAnimal, type EditorState, type InstanceDoc } from './state';

/** Colours for instances without a known track; greys and pastels so they do not pass for a track. */
const UNTRACKED = ['#e0e0e0', '#ffe082', '#b39ddb', '#80cbc4', '#ef9a9a'];

export function instanceStyle(s: Pick<EditorState, 'tracks'>, inst: Pick<InstanceDoc, 'track'>, index: number): InstanceStyle {
  const track = inst.track === null ? undefined : s.tracks.find((t) => t.name === inst.track);
  const color = track?.color ?? UNTRACKED[index % UNTRACKED.length]!;
  return { color, label: inst.track ?? `Instance ${index + 1}` };
}

export interface InstanceView {
  index: number;
  points: PointMap;
  style: InstanceStyle;
}

/**
 * What the canvas draws for several animals: the active instance's style and
 * every other editable instance. Single-animal projects get `null` and no
 * instances (the classic look: node colours, no names).
 */
export function instanceViews(s: EditorState): { activeStyle: InstanceStyle | null; others: InstanceView[] } {
  if (!isMultiAnimal(s)) return { activeStyle: null, others: [] };
  const instances = currentDoc(s).instances;
  const active = instances[s.activeInstance];
  const others = instances
    .map((inst, index) => ({ index, points: inst.points, style: instanceStyle(s, inst, index) }))
    .filter((v) => v.index !== s.activeInstance);
  return { activeStyle: active ? instanceStyle(s, active, s.activeInstance) : null, others };
}
