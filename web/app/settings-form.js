// The settings form: shows the running model's values, collects the user's
// changes as overrides, checks them with settings.js and tells which are not
// yet applied. It does not apply anything itself.

import { TRAINING_FIELDS, checkField, fieldsFromConfig } from './settings.js';

export class SettingsForm {
  constructor(form) {
    this.form = form;
    this.applied = null;      // settings of the running model
    this.shown = {};          // field name -> value shown for the running model
    this.touched = new Set(); // fields edited since the last apply
    form.addEventListener('submit', (event) => event.preventDefault());
  }

  /** Shows the running model: its settings and its config's effective values. */
  showApplied(settings, config) {
    this.applied = structuredClone(settings);
    this.touched.clear();
    this.form.elements.preset.value = settings.preset;
    this.form.elements.seed.value = String(settings.seed);
    this.shown = { ...fieldsFromConfig(config), ...settings.overrides };
    for (const [name, value] of Object.entries(this.shown)) {
      const input = this.form.elements[name];
      if (input) input.value = String(value);
    }
    this.#markChanged();
  }

  /** Records that the user edited `name`. */
  touch(name) {
    if (name === 'preset') {
      // A new preset brings its own defaults; earlier edits of other fields no longer apply.
      this.touched.clear();
    }
    this.touched.add(name);
    this.#markChanged();
  }

  /** The settings the form asks for: {settings, errors}. */
  read() {
    const errors = [];
    const value = (name) => {
      const { value: checked, error } = checkField(name, this.form.elements[name].value);
      if (error) errors.push(error);
      return error ? undefined : checked;
    };
    const preset = value('preset') ?? this.applied.preset;
    const presetChanged = preset !== this.applied.preset;
    const settings = {
      preset,
      seed: value('seed') ?? this.applied.seed,
      overrides: presetChanged ? {} : { ...this.applied.overrides },
    };
    for (const name of Object.keys(TRAINING_FIELDS)) {
      if (!this.touched.has(name)) continue;
      const checked = value(name);
      if (checked !== undefined) settings.overrides[name] = checked;
    }
    return { settings, errors };
  }

  /** True when the form asks for something else than the running model. */
  get pending() {
    if (!this.applied) return false;
    const { settings } = this.read();
    return JSON.stringify(settings) !== JSON.stringify(this.applied);
  }

  setDisabled(disabled) {
    for (const element of this.form.elements) element.disabled = disabled;
  }

  #markChanged() {
    for (const element of this.form.elements) {
      const name = element.name;
      if (!name) continue;
      const appliedValue = name === 'preset' || name === 'seed' ? this.applied?.[name] : this.shown[name];
      const changed = this.touched.has(name) && String(element.value) !== String(appliedValue);
      element.closest('.field')?.classList.toggle('changed', changed);
    }
  }
}
