// The settings form: built from the core's description (the presets and the
// options it marks for the page), it shows the running model's values,
// collects the user's changes as overrides, checks them with settings.js and
// tells which are not yet applied. It does not apply anything itself.

import { checkField, fieldsFromConfig, pageFields } from './settings.js';
import { describeRange } from '../runtime/config-options.js';

// A new preset brings its own values, except for this one: the seed the user
// chose is kept across presets.
const KEPT_ACROSS_PRESETS = 'seed';

export class SettingsForm {
  constructor(form) {
    this.form = form;
    this.description = null;
    this.applied = null;      // settings of the running model
    this.shown = {};          // field name -> value shown for the running model
    this.touched = new Set(); // fields edited since the last apply
    form.addEventListener('submit', (event) => event.preventDefault());
  }

  /** Creates the form's fields from the core's description (once the worker is up). */
  build(description) {
    this.description = description;
    const document = this.form.ownerDocument;
    const before = this.form.querySelector('.pending');
    for (const old of this.form.querySelectorAll('.field')) old.remove();
    const add = (name, labelText, control, hint) => {
      const field = document.createElement('div');
      field.className = 'field';
      const label = document.createElement('label');
      label.htmlFor = name;
      label.textContent = labelText;
      label.title = labelText;
      control.id = name;
      control.name = name;
      if (hint) control.title = hint;
      field.append(label, control);
      this.form.insertBefore(field, before);
    };
    const select = (values, text = (value) => value) => {
      const element = document.createElement('select');
      for (const value of values) element.add(new Option(text(value), value));
      return element;
    };
    const presets = select(description.presets.map((preset) => preset.name));
    description.presets.forEach((preset, i) => { presets.options[i].title = preset.summary; });
    add('preset', 'Preset', presets, 'URL parameter: preset');
    for (const option of pageFields(description)) {
      let control;
      if (option.type === 'enum') {
        control = select(option.values);
      } else {
        control = document.createElement('input');
        if (option.type === 'int' || option.type === 'float') {
          control.type = 'number';
          control.step = option.type === 'int' ? '1' : 'any';
          control.inputMode = option.type === 'int' ? 'numeric' : 'decimal';
          if (option.min !== undefined && !option.minOpen) control.min = String(option.min);
          if (option.max !== undefined && !option.maxOpen && option.max < 3e38) control.max = String(option.max);
        } else {
          // u64 values do not fit a double, so not type=number; text values go to the core as they are.
          control.type = 'text';
          if (option.type === 'u64') { control.inputMode = 'numeric'; control.pattern = '[0-9]+'; }
        }
      }
      const label = option.help ? option.help[0].toUpperCase() + option.help.slice(1) : option.param;
      const range = option.type === 'enum' || option.type === 'text' ? '' : `: ${describeRange(option)}`;
      add(option.param, label, control, `URL parameter ${option.param}${range}`);
    }
    this.#showApplicable();
  }

  /** Shows the running model: its settings and its config's effective values. */
  showApplied(settings, config) {
    this.applied = structuredClone(settings);
    this.touched.clear();
    const preset = this.form.elements.preset;
    for (const option of [...preset.options]) if (option.dataset.unrecorded) option.remove();
    if (![...preset.options].some((option) => option.value === settings.preset)) {
      // A checkpoint older than format 2 does not say which preset it came from.
      preset.add(Object.assign(new Option('(not recorded)', settings.preset), { disabled: true }));
      preset.options[preset.options.length - 1].dataset.unrecorded = 'true';
    }
    preset.value = settings.preset;
    this.shown = { ...fieldsFromConfig(config, this.description), ...settings.overrides };
    for (const [name, value] of Object.entries(this.shown)) {
      const input = this.form.elements[name];
      if (input) input.value = String(value);
    }
    this.#markChanged();
    this.#showApplicable();
  }

  /** Records that the user edited `name`. */
  touch(name) {
    if (name === 'preset') {
      // A new preset brings its own defaults; earlier edits of other fields no longer apply.
      const keep = this.touched.has(KEPT_ACROSS_PRESETS);
      this.touched.clear();
      if (keep) this.touched.add(KEPT_ACROSS_PRESETS);
    }
    this.touched.add(name);
    this.#markChanged();
    this.#showApplicable();
  }

  /** The settings the form asks for: {settings, errors}. */
  read() {
    const errors = [];
    const value = (name) => {
      const { value: checked, error } = checkField(this.description, name, this.form.elements[name].value);
      if (error) errors.push(error);
      return error ? undefined : checked;
    };
    const preset = this.form.elements.preset.value === this.applied.preset ? this.applied.preset : (value('preset') ?? this.applied.preset);
    const presetChanged = preset !== this.applied.preset;
    const kept = {};
    if (KEPT_ACROSS_PRESETS in this.applied.overrides) kept[KEPT_ACROSS_PRESETS] = this.applied.overrides[KEPT_ACROSS_PRESETS];
    const settings = { preset, overrides: presetChanged ? kept : { ...this.applied.overrides } };
    for (const { param } of pageFields(this.description)) {
      if (!this.touched.has(param)) continue;
      const checked = value(param);
      if (checked !== undefined) settings.overrides[param] = checked;
    }
    return { settings, errors };
  }

  /** True when the form asks for something else than the running model. */
  get pending() {
    if (!this.applied) return false;
    const { settings } = this.read();
    return JSON.stringify(settings) !== JSON.stringify(this.applied);
  }

  // A setting the core marks as applying only while another has a value (its `when`)
  // is hidden while the form shows another value there.
  #showApplicable() {
    for (const { param, when } of pageFields(this.description)) {
      const setter = when?.param && this.form.elements[when.param];
      const field = this.form.elements[param]?.closest('.field');
      if (!setter || !field) continue;
      const on = setter.type === 'number' ? Number(setter.value) === Number(when.value) : setter.value === when.value;
      field.hidden = !on;
    }
  }

  #markChanged() {
    for (const element of this.form.elements) {
      const name = element.name;
      if (!name) continue;
      const appliedValue = name === 'preset' ? this.applied?.preset : this.shown[name];
      const changed = this.touched.has(name) && String(element.value) !== String(appliedValue);
      element.closest('.field')?.classList.toggle('changed', changed);
    }
  }
}
