/**
 * Skeleton editor (owners): nodes (name, colour, order), edges, left/right
 * symmetric pairs, with a live preview. Saving a draft that deletes labeled
 * nodes gets a 409 from the server with how many labeled points would go;
 * the editor shows it and asks before sending `?confirm=true`.
 */
import { useMemo, useState } from 'react';
import { ErrorMessage } from '../../../components/ErrorMessage';
import { ApiError } from '../../../lib/api';
import type { Skeleton } from '../../../types/api';
import { putSkeleton } from '../api/skeleton';
import {
  addNode,
  addPair,
  fromSkeleton,
  isDirty,
  moveNode,
  pairProblem,
  removedNodes,
  removeNode,
  removePair,
  suggestSymmetries,
  toPut,
  updateNode,
  validate,
  type Draft,
  type PairKind,
} from '../model';
import { SkeletonPreview } from './SkeletonPreview';

interface PendingConfirm {
  labelsRemoved: number;
  message: string;
}

export function SkeletonEditor({ projectId, skeleton, onSaved }: { projectId: number; skeleton: Skeleton; onSaved(s: Skeleton): void }) {
  const [original, setOriginal] = useState(skeleton);
  const [draft, setDraft] = useState<Draft>(() => fromSkeleton(skeleton));
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [confirm, setConfirm] = useState<PendingConfirm | null>(null);

  const problems = useMemo(() => validate(draft), [draft]);
  const dirty = useMemo(() => isDirty(draft, original), [draft, original]);
  const removed = useMemo(() => removedNodes(draft, original), [draft, original]);
  const suggestions = useMemo(() => suggestSymmetries(draft), [draft]);

  const edit = (next: Draft) => {
    setDraft(next);
    setSaved(false);
    setConfirm(null);
  };
  const name = (key: string) => draft.nodes.find((n) => n.key === key)?.name || '?';

  async function save(confirmed: boolean) {
    if (problems.length) return;
    setSaving(true);
    setError(null);
    try {
      const result = await putSkeleton(projectId, toPut(draft), confirmed);
      setOriginal(result);
      setDraft(fromSkeleton(result));
      setConfirm(null);
      setSaved(true);
      onSaved(result);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && typeof err.extra.labels_removed === 'number') {
        setConfirm({ labelsRemoved: err.extra.labels_removed, message: err.message });
      } else {
        setError(err);
      }
    } finally {
      setSaving(false);
    }
  }

  return (
    <div className="skeleton-editor" data-testid="skeleton-editor">
      <div className="skeleton-editor-main">
        <section className="card">
          <h2>Nodes</h2>
          <p className="muted small">Order is the labeling order (Tab moves through it). Renaming keeps every label.</p>
          <ol className="editor-nodes">
            {draft.nodes.map((n, i) => (
              <li key={n.key} data-testid={`editor-node-${i}`}>
                <input
                  type="color"
                  aria-label={`Colour of ${n.name}`}
                  data-testid={`node-color-${i}`}
                  value={n.color}
                  onChange={(e) => edit(updateNode(draft, n.key, { color: e.target.value }))}
                />
                <input
                  aria-label={`Name of node ${i + 1}`}
                  data-testid={`node-name-${i}`}
                  value={n.name}
                  onChange={(e) => edit(updateNode(draft, n.key, { name: e.target.value }))}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter' && i === draft.nodes.length - 1) {
                      e.preventDefault();
                      edit(addNode(draft));
                    }
                  }}
                />
                {n.id === null && <span className="badge">new</span>}
                <button type="button" className="secondary" aria-label={`Move ${n.name} up`} data-testid={`node-up-${i}`} disabled={i === 0} onClick={() => edit(moveNode(draft, n.key, -1))}>
                  ↑
                </button>
                <button
                  type="button"
                  className="secondary"
                  aria-label={`Move ${n.name} down`}
                  data-testid={`node-down-${i}`}
                  disabled={i === draft.nodes.length - 1}
                  onClick={() => edit(moveNode(draft, n.key, 1))}
                >
                  ↓
                </button>
                <button type="button" className="secondary" aria-label={`Delete ${n.name}`} data-testid={`node-remove-${i}`} onClick={() => edit(removeNode(draft, n.key))}>
                  Delete
                </button>
              </li>
            ))}
          </ol>
          <button type="button" className="secondary" data-testid="add-node" onClick={() => edit(addNode(draft))}>
            + Add node
          </button>
        </section>
        <PairEditor kind="edges" title="Edges" draft={draft} name={name} onChange={edit} />
        <PairEditor kind="symmetries" title="Symmetric left/right pairs" draft={draft} name={name} onChange={edit}>
          {suggestions.length > 0 && (
            <button
              type="button"
              className="secondary"
              data-testid="suggest-symmetries"
              onClick={() => edit(suggestions.reduce((d, [a, b]) => addPair(d, 'symmetries', a, b), draft))}
            >
              Add suggested pairs: {suggestions.map(([a, b]) => `${name(a)} ↔ ${name(b)}`).join(', ')}
            </button>
          )}
        </PairEditor>
      </div>
      <aside className="skeleton-editor-side">
        <section className="card">
          <h2>Preview</h2>
          <SkeletonPreview draft={draft} />
        </section>
        <section className="card">
          {problems.map((p) => (
            <p key={p} className="error small" data-testid="skeleton-problem">
              {p}
            </p>
          ))}
          {removed.length > 0 && (
            <p className="notice small">
              Deleting {removed.map((n) => n.name).join(', ')}: their labeled points are removed on save (you will be asked).
            </p>
          )}
          {confirm && (
            <div className="confirm-box" role="alertdialog" aria-label="Confirm deleting labeled nodes" data-testid="skeleton-confirm">
              <p>
                <strong>This removes {confirm.labelsRemoved} labeled point{confirm.labelsRemoved === 1 ? '' : 's'}.</strong>{' '}
                {confirm.message}
              </p>
              <div className="buttons">
                <button type="button" className="danger" data-testid="skeleton-confirm-delete" disabled={saving} onClick={() => void save(true)}>
                  Delete nodes and {confirm.labelsRemoved} labels
                </button>
                <button type="button" className="secondary" data-testid="skeleton-confirm-cancel" onClick={() => setConfirm(null)}>
                  Cancel
                </button>
              </div>
            </div>
          )}
          <ErrorMessage error={error} testId="skeleton-error" />
          {saved && !dirty && (
            <p className="muted" data-testid="skeleton-saved" role="status">
              Skeleton saved.
            </p>
          )}
          <div className="buttons">
            <button type="button" data-testid="skeleton-save" disabled={saving || !dirty || problems.length > 0} onClick={() => void save(false)}>
              {saving ? 'Saving…' : 'Save skeleton'}
            </button>
            <button type="button" className="secondary" disabled={!dirty || saving} onClick={() => edit(fromSkeleton(original))}>
              Discard changes
            </button>
          </div>
        </section>
      </aside>
    </div>
  );
}

function PairEditor(props: {
  kind: PairKind;
  title: string;
  draft: Draft;
  name(key: string): string;
  onChange(d: Draft): void;
  children?: React.ReactNode;
}) {
  const { kind, draft } = props;
  const [a, setA] = useState('');
  const [b, setB] = useState('');
  const problem = a && b ? pairProblem(draft, kind, a, b) : null;
  const prefix = kind === 'edges' ? 'edge' : 'sym';
  const options = draft.nodes.map((n) => (
    <option key={n.key} value={n.key}>
      {n.name || '(unnamed)'}
    </option>
  ));
  return (
    <section className="card" data-testid={`pairs-${kind}`}>
      <h2>{props.title}</h2>
      {draft[kind].length === 0 && <p className="muted small">None.</p>}
      <ul className="pair-list">
        {draft[kind].map(([x, y], i) => (
          <li key={`${x}-${y}`} data-testid={`${prefix}-${i}`}>
            {props.name(x)} {kind === 'edges' ? '—' : '↔'} {props.name(y)}{' '}
            <button type="button" className="link" aria-label={`Remove ${props.name(x)} ${props.name(y)}`} onClick={() => props.onChange(removePair(draft, kind, i))}>
              remove
            </button>
          </li>
        ))}
      </ul>
      <div className="inline-form">
        <select aria-label={`${props.title}: first node`} data-testid={`${prefix}-a`} value={a} onChange={(e) => setA(e.target.value)}>
          <option value="">node…</option>
          {options}
        </select>
        <select aria-label={`${props.title}: second node`} data-testid={`${prefix}-b`} value={b} onChange={(e) => setB(e.target.value)}>
          <option value="">node…</option>
          {options}
        </select>
        <button
          type="button"
          className="secondary"
          data-testid={`add-${prefix}`}
          disabled={!a || !b || problem !== null}
          onClick={() => {
            props.onChange(addPair(draft, kind, a, b));
            setA('');
            setB('');
          }}
        >
          Add
        </button>
        {problem && <span className="muted small">{problem}</span>}
      </div>
      {props.children}
    </section>
  );
}
