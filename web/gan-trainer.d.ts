// Declarations of the <gan-trainer> element (gan-trainer.js; "wasm-gan/element"), hand-written
// to match it. Importing the module defines the element. Attributes and behaviour: docs/web.md.

import type { Config, Stats } from './runtime/index.js';

/** The paper's Parzen estimate, as the `evaluate` view computes it. */
export interface GanTrainerEvaluation {
  mean: number;
  std_error: number;
  sigma: number;
  sigmas: number[];
  validation_mean: number[];
  samples: number;
  validation: number;
  test: number;
  step: number;
}

export interface GanTrainerReadyDetail {
  config: Config;
  /** The checkpoint the element opened on (its `checkpoint` attribute), else null. */
  checkpoint: { url: string; step: number; preset: string | null } | null;
}

export interface GanTrainerEventMap extends HTMLElementEventMap {
  'gan-ready': CustomEvent<GanTrainerReadyDetail>;
  /** The worker's stats, about ten times a second while training. */
  'gan-stats': CustomEvent<Stats>;
}

/**
 * The element's attributes, all strings as HTML gives them (docs/web.md has each one's range).
 * The training settings (`seed`, `k`, `batch`, `g_lr`, `d_lr`, `loss`, `optimizer`,
 * `update_order`, `real_target`, `average`, `conditional`, ...) are those the core describes for
 * the page, so a build may add some; the others are the element's own.
 */
export interface GanTrainerAttributes {
  preset?: string;
  autoplay?: string;
  steps?: string;
  speed?: string;
  threads?: string;
  views?: string;
  size?: string;
  width?: string;
  checkpoint?: string;
  data?: string;
  /** URL of an IDX labels file for `data`'s images (a class-conditional model needs labels). */
  labels?: string;
  evaluate_samples?: string;
  evaluate_test?: string;
  /** Class labels: `none` (the paper's model), `concat` or `auxiliary` (class-conditional G and D). */
  conditional?: string;
  /**
   * A class-conditional model's class, a whole number from 0 to classes - 1 (`label="7"`: only
   * 7s): the grid shows that class only, the strips interpolate within it. Not `class`, which is
   * HTML's CSS class attribute. A bad value, or a model that is not conditional, is listed in the element.
   */
  label?: string;
  [setting: string]: string | undefined;
}

export declare class GanTrainerElement extends HTMLElement {
  /** The current training step (0 before training). */
  readonly step: number;
  readonly running: boolean;
  /** Every problem the element met, its worker's included, as text. */
  readonly errors: string[];
  /** Start and pause training; undefined while the element is not running a session. */
  play(): Promise<void> | undefined;
  pause(): Promise<void> | undefined;
  /** Fresh weights, step 0; resolves with the configuration. */
  reset(): Promise<Config> | undefined;
  /** With the `evaluate` view: the Parzen estimate of the model now, or null (no view, or it failed). */
  evaluate(): Promise<GanTrainerEvaluation | null>;

  addEventListener<K extends keyof GanTrainerEventMap>(type: K, listener: (this: GanTrainerElement, event: GanTrainerEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof GanTrainerEventMap>(type: K, listener: (this: GanTrainerElement, event: GanTrainerEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}

declare global {
  interface HTMLElementTagNameMap {
    'gan-trainer': GanTrainerElement;
  }
}
