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
