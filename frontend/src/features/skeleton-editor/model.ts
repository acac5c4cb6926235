/**
 * The skeleton being edited, as pure data. Nodes carry a local `key` (stable
 * while editing, also for nodes not saved yet); edges and symmetries refer to
 * keys. `toPut` turns it into the PUT body: kept nodes keep their `id` (and so
 * their labels), new nodes are referred to by name.
 */
import type { Skeleton, SkeletonPut } from '../../types/api';

export interface DraftNode {
  key: string;
  id: number | null;
  name: string;
  color: string;
}

export type PairKind = 'edges' | 'symmetries';

export interface Draft {
  nodes: DraftNode[];
  edges: [string, string][];
  symmetries: [string, string][];
}

export const PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#46f0f0', '#f032e6', '#bcf60c', '#008080', '#e6beff', '#9a6324', '#800000'];

const keyOf = (id: number) => `n${id}`;

export function fromSkeleton(s: Skeleton): Draft {
  return {
    nodes: s.nodes.map((n) => ({ key: keyOf(n.id), id: n.id, name: n.name, color: n.color })),
    edges: s.edges.map(([a, b]) => [keyOf(a), keyOf(b)]),
    symmetries: s.symmetries.map(([a, b]) => [keyOf(a), keyOf(b)]),
  };
}

let counter = 0;

/** Append a node with a unique default name and the next palette colour. */
export function addNode(d: Draft, name?: string): Draft {
  const taken = new Set(d.nodes.map((n) => n.name));
  let base = name?.trim() || `node_${d.nodes.length + 1}`;
  for (let i = 2; taken.has(base); i++) base = `${name?.trim() || 'node'}_${i}`;
  counter += 1;
  const node: DraftNode = { key: `new${Date.now().toString(36)}${counter}`, id: null, name: base, color: PALETTE[d.nodes.length % PALETTE.length]! };
  return { ...d, nodes: [...d.nodes, node] };
}

export function updateNode(d: Draft, key: string, patch: Partial<Pick<DraftNode, 'name' | 'color'>>): Draft {
  return { ...d, nodes: d.nodes.map((n) => (n.key === key ? { ...n, ...patch } : n)) };
}

/** Move a node up (-1) or down (+1) in the display order. */
export function moveNode(d: Draft, key: string, step: -1 | 1): Draft {
  const i = d.nodes.findIndex((n) => n.key === key);
  const j = i + step;
  if (i < 0 || j < 0 || j >= d.nodes.length) return d;
  const nodes = [...d.nodes];
  [nodes[i], nodes[j]] = [nodes[j]!, nodes[i]!];
  return { ...d, nodes };
}

/** Remove a node and every edge / symmetry touching it. */
export function removeNode(d: Draft, key: string): Draft {
  const keep = ([a, b]: [string, string]) => a !== key && b !== key;
  return { nodes: d.nodes.filter((n) => n.key !== key), edges: d.edges.filter(keep), symmetries: d.symmetries.filter(keep) };
}

const samePair = (p: [string, string], a: string, b: string) => (p[0] === a && p[1] === b) || (p[0] === b && p[1] === a);

/** Why a pair cannot be added (null when it can). A node has at most one symmetric partner. */
export function pairProblem(d: Draft, kind: PairKind, a: string, b: string): string | null {
  if (!a || !b) return 'Pick two nodes.';
  if (a === b) return 'Pick two different nodes.';
  if (d[kind].some((p) => samePair(p, a, b))) return kind === 'edges' ? 'That edge exists already.' : 'Those nodes are already a pair.';
  if (kind === 'symmetries' && d.symmetries.some(([x, y]) => [x, y].includes(a) || [x, y].includes(b))) {
    return 'A node can be in one left/right pair only.';
  }
  return null;
}

export function addPair(d: Draft, kind: PairKind, a: string, b: string): Draft {
  if (pairProblem(d, kind, a, b)) return d;
  return { ...d, [kind]: [...d[kind], [a, b]] };
}

export function removePair(d: Draft, kind: PairKind, index: number): Draft {
  return { ...d, [kind]: d[kind].filter((_, i) => i !== index) };
}

const SIDE_PATTERNS: [RegExp, RegExp][] = [
  [/^left[_\-\s]?(.+)$/i, /^right[_\-\s]?(.+)$/i],
  [/^(.+?)[_\-\s]?left$/i, /^(.+?)[_\-\s]?right$/i],
  [/^l[_\-](.+)$/i, /^r[_\-](.+)$/i],
  [/^(.+)[_\-]l$/i, /^(.+)[_\-]r$/i],
];

/** Left/right pairs guessed from names (left_ear ↔ right_ear, paw_l ↔ paw_r…), not yet paired. */
export function suggestSymmetries(d: Draft): [string, string][] {
  const out: [string, string][] = [];
  const used = new Set(d.symmetries.flat());
  for (const left of d.nodes) {
    for (const [lp, rp] of SIDE_PATTERNS) {
      const m = lp.exec(left.name);
      if (!m) continue;
      const stem = m[1]!.toLowerCase();
      const right = d.nodes.find((n) => {
        const r = rp.exec(n.name);
        return n.key !== left.key && r !== null && r[1]!.toLowerCase() === stem;
      });
      if (right && !used.has(left.key) && !used.has(right.key)) {
        out.push([left.key, right.key]);
        used.add(left.key);
        used.add(right.key);
      }
      break;
    }
  }
  return out;
}

/** Problems that block saving. */
export function validate(d: Draft): string[] {
  const errors: string[] = [];
  const names = d.nodes.map((n) => n.name.trim());
  if (names.some((n) => !n)) errors.push('Every node needs a name.');
  const dup = names.find((n, i) => n && names.indexOf(n) !== i);
  if (dup) errors.push(`Node names must be unique ("${dup}" is used twice).`);
  if (d.nodes.some((n) => !/^#[0-9a-fA-F]{6}$/.test(n.color))) errors.push('Colours must be #rrggbb.');
  return errors;
}

/** The PUT body: existing nodes by id, new ones by (trimmed) name in pairs. */
export function toPut(d: Draft): SkeletonPut {
  const ref = (key: string): number | string => {
    const n = d.nodes.find((x) => x.key === key);
    return n?.id ?? n?.name.trim() ?? key;
  };
  return {
    nodes: d.nodes.map((n) => (n.id !== null ? { id: n.id, name: n.name.trim(), color: n.color } : { name: n.name.trim(), color: n.color })),
    edges: d.edges.map(([a, b]) => [ref(a), ref(b)]),
    symmetries: d.symmetries.map(([a, b]) => [ref(a), ref(b)]),
  };
}

/** Saved nodes this draft deletes (their labels go too, after confirmation). */
export function removedNodes(d: Draft, original: Skeleton): Skeleton['nodes'] {
  const kept = new Set(d.nodes.map((n) => n.id));
  return original.nodes.filter((n) => !kept.has(n.id));
}

export function isDirty(d: Draft, original: Skeleton): boolean {
  return JSON.stringify(toPut(d)) !== JSON.stringify(toPut(fromSkeleton(original)));
}

/** Node positions for the preview: a circle in display order, left/right pairs mirrored when possible. */
export function previewLayout(d: Draft, width: number, height: number): Map<string, { x: number; y: number }> {
  const out = new Map<string, { x: number; y: number }>();
  const n = d.nodes.length;
  const cx = width / 2;
  const cy = height / 2;
  const r = Math.max(10, Math.min(width, height) / 2 - 28);
  // Unpaired nodes down the middle, pairs mirrored left/right at their row.
  const paired = new Map<string, string>();
  for (const [a, b] of d.symmetries) {
    paired.set(a, b);
    paired.set(b, a);
  }
  const rows: string[][] = [];
  const seen = new Set<string>();
  for (const node of d.nodes) {
    if (seen.has(node.key)) continue;
    const partner = paired.get(node.key);
    rows.push(partner && !seen.has(partner) ? [node.key, partner] : [node.key]);
    seen.add(node.key);
    if (partner) seen.add(partner);
  }
  if (n === 0) return out;
  const step = rows.length > 1 ? (2 * r) / (rows.length - 1) : 0;
  rows.forEach((row, i) => {
    const y = rows.length > 1 ? cy - r + i * step : cy;
    if (row.length === 1) {
      // Zig-zag unpaired chains a little so edges stay visible.
      out.set(row[0]!, { x: cx + (i % 2 ? 1 : -1) * (rows.length > 2 ? r * 0.12 : 0), y });
    } else {
      const spread = r * 0.55;
      out.set(row[0]!, { x: cx - spread, y });
      out.set(row[1]!, { x: cx + spread, y });
    }
  });
  return out;
}
