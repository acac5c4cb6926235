/**
 * The action-object contract of the labeling editor (excalidraw style).
 *
 * Every editor command is an `Action`: a pure `perform(state, payload)`, an
 * optional `predicate` (is it available now?), an optional `keyTest`
 * (keyboard shortcut) and `shortcuts` (human-readable, for the help panel).
 * Side effects that cannot be pure (saving, fitting the view to the canvas)
 * are declared as an `effect` that the page runs after `perform`.
 */
import type { EditorState } from '../state';

/** The subset of a KeyboardEvent actions look at (easy to build in tests). */
export interface KeyInput {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/**
 * Side effects the page runs after `perform`: save now, fit the view, claim
 * "next frame for me" (POST next-frame), submit the frame for review.
 */
export type ActionEffect = 'save' | 'fit' | 'nextForMe' | 'submit';

export interface Action<P = void> {
  readonly name: string;
  readonly label: string;
  /** Button text where space is short (toolbar); defaults to `label`. */
  readonly short?: string;
  /** Shortcuts as shown to the user, e.g. ["Ctrl+Z"]. */
  readonly shortcuts: readonly string[];
  keyTest?(e: KeyInput): boolean;
  /** Payload of a keyboard-triggered run (e.g. the arrow's direction); undefined when absent. */
  fromKey?(e: KeyInput): P;
  /**
   * Only meaningful inside a mode (keyboard placement): such an action wins a
   * shared key (the arrows) only while its predicate holds.
   */
  readonly modal?: boolean;
  predicate?(s: EditorState, payload: P): boolean;
  perform(s: EditorState, payload: P): EditorState;
  checked?(s: EditorState): boolean;
  readonly effect?: ActionEffect;
}

export interface ActionResult {
  state: EditorState;
  effect?: ActionEffect;
}

/** Run an action if its predicate allows it; null when it is unavailable. */
export function runAction<P>(action: Action<P>, s: EditorState, payload: P): ActionResult | null {
  if (action.predicate && !action.predicate(s, payload)) return null;
  return { state: action.perform(s, payload), effect: action.effect };
}

/** Plain key (no Ctrl/Cmd/Alt), case-insensitive for letters. */
export function plainKey(e: KeyInput, ...keys: string[]): boolean {
  if (e.ctrlKey || e.metaKey || e.altKey) return false;
  const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  return keys.includes(k);
}

/** Ctrl (or Cmd on macOS) + key, case-insensitive, with the given Shift state. */
export function modKey(e: KeyInput, key: string, shift: boolean): boolean {
  return (e.ctrlKey || e.metaKey) && !e.altKey && e.shiftKey === shift && e.key.toLowerCase() === key;
}
