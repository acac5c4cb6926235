import type { Instance, LabeledFrame, Point, Skeleton } from '../../../types/api';
import { findMineIndex } from '../state';

function describe(p: Point | undefined): string {
  if (!p) return '—';
  if (p.visibility === 0) return 'not in frame';
  return `${p.x.toFixed(1)}, ${p.y.toFixed(1)}${p.visibility === 1 ? ' (occluded)' : ''}`;
}

function humanPoints(instances: readonly Instance[]): Map<number, Point> {
  const mine = instances[findMineIndex(instances)];
  return new Map((mine?.points ?? []).map((p) => [p.node, p]));
}

/** Shown after a 409: their saved version next to my unsaved one; the user chooses. */
export function ConflictPanel(props: {
  skeleton: Skeleton;
  theirs: LabeledFrame;
  mine: readonly Instance[];
  onKeepMine(): void;
  onTakeTheirs(): void;
}) {
  const theirs = humanPoints(props.theirs.instances);
  const mine = humanPoints(props.mine);
  const who = props.theirs.updated_by?.username ?? 'someone else';
  const when = props.theirs.updated_at ? new Date(props.theirs.updated_at).toLocaleString() : '';
  return (
    <section className="card conflict-panel" data-testid="conflict-panel" role="alertdialog" aria-label="Save conflict">
      <h2>Conflict</h2>
      <p>
        {who} saved this frame (version {props.theirs.version}
        {when && `, ${when}`}) while you were editing. Nothing was overwritten. Choose which version to keep.
      </p>
      <table>
        <thead>
          <tr>
            <th>Node</th>
            <th data-testid="conflict-theirs">Theirs (v{props.theirs.version})</th>
            <th data-testid="conflict-mine">Mine</th>
          </tr>
        </thead>
        <tbody>
          {props.skeleton.nodes.map((n) => {
            const a = describe(theirs.get(n.id));
            const b = describe(mine.get(n.id));
            return (
              <tr key={n.id} className={a !== b ? 'differs' : undefined}>
                <td>{n.name}</td>
                <td>{a}</td>
                <td>{b}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="muted small">
        Instances: theirs {props.theirs.instances.length}, mine {props.mine.length}.
      </p>
      <div className="buttons">
        <button type="button" data-testid="keep-mine" onClick={props.onKeepMine}>
          Keep mine
        </button>
        <button type="button" className="secondary" data-testid="take-theirs" onClick={props.onTakeTheirs}>
          Take theirs
        </button>
      </div>
    </section>
  );
}
