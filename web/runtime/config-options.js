// The configuration options, as the core describes them (gan_describe, see
// include/gan.h): every command-line option of `wasm-gan train`, every
// setting of the page's form, URL and <gan-trainer> attributes, with its
// checks, comes from the description's `keys` and `groups`. Nothing here
// names a key (but imageSizeOverrides and dataOverrides, which must name the
// keys that size a model to its images), so a field added to the core's tables appears
// everywhere without a JS edit. The checks only give early, readable
// messages: the core checks every value again (gan_config_set) and its
// refusal stands.
//
//   const options = configOptions(description);       // [{option, param, keys, type, ...}]
//   checkOptionValue(options[0], '3')                  // {value: 3} or {error: 'must be ...'}

/**
 * The options a description offers, in the order of its keys; a group (an
 * option setting the same field of both networks, such as `lr`) comes just
 * before the first of its keys.
 * @returns {Array<{option: string, param: string, keys: string[], type: string, min?: number, max?: number,
 *   minOpen: boolean, maxOpen: boolean, values?: string[], help: string, page: boolean,
 *   when: {key: string, value: string, option: string|null, param: string|null}|null}>}
 *   option: the command-line name (`g-lr`); param: the URL parameter and attribute name (`g_lr`);
 *   when: the option applies only while the key `key` (set by `option`/`param`, if any) is `value`
 */
export function configOptions(description) {
  const byKey = new Map(description.keys.map((entry) => [entry.key, entry]));
  const groups = [...(description.groups ?? [])];
  const out = [];
  const add = (option, keys, help, page) => {
    const field = byKey.get(keys[0]);
    if (!field) throw new Error(`the core's description names an unknown key ${keys[0]}`);
    out.push({
      option,
      param: option.replaceAll('-', '_'),
      keys,
      type: field.type,
      min: field.min,
      max: field.max,
      minOpen: !!field.min_open,
      maxOpen: !!field.max_open,
      values: field.values,
      help: help ?? field.help ?? '',
      page: !!page,
      when: field.when ? { key: field.when.key, value: field.when.value, option: null, param: null } : null,
    });
  };
  for (const field of description.keys) {
    for (let i = 0; i < groups.length; i++) {
      if (!groups[i].keys.includes(field.key)) continue;
      add(groups[i].option, groups[i].keys, groups[i].help, groups[i].page);
      groups.splice(i--, 1);
    }
    if (field.option) add(field.option, [field.key], field.help, field.page);
  }
  for (const { when } of out) {
    const setter = when && out.find((other) => other.keys.includes(when.key));
    if (setter) Object.assign(when, { option: setter.option, param: setter.param });
  }
  return out;
}

/** The names of the presets the core has. */
export function presetNames(description) {
  return description.presets.map((preset) => preset.name);
}

// Largest float32: a float field with this maximum has no upper limit worth naming.
const FLOAT_MAX = 3.4028234e38;
const U64_MAX = 2n ** 64n - 1n;

// Numbers as a person writes them in decimal: no JS literals (0x10, 0b1,
// 1_000, Infinity), no bare exponent (1e), no surrounding spaces. The core
// reads the same forms (gan_config_set).
export const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const isWhole = (text) => /^[+-]?\d+$/.test(text);
const same = (a, b) => a.toLowerCase().replaceAll('_', '-') === b.toLowerCase().replaceAll('_', '-');

/** What an option accepts, as words: "a whole number from 1 to 100", "one of sgd, adam". */
export function describeRange(option) {
  const { type, min, max, minOpen, maxOpen } = option;
  if (type === 'enum') return `one of ${option.values.join(', ')}`;
  if (type === 'u64') return `a whole number from ${min ?? 0} to ${u64Max(option)}`;
  if (type === 'text') return 'text';
  const noun = type === 'int' ? 'a whole number' : 'a number';
  const hasMax = max !== undefined && max !== null && !(type === 'float' && max >= FLOAT_MAX);
  const hasMin = min !== undefined && min !== null;
  if (hasMin && hasMax && !minOpen && !maxOpen) return `${noun} from ${min} to ${max}`;
  const parts = [];
  if (hasMin) parts.push(minOpen ? `greater than ${min}` : `at least ${min}`);
  if (hasMax) parts.push(maxOpen ? `less than ${max}` : `at most ${max}`);
  return parts.length ? `${noun} ${parts.join(' and ')}` : noun;
}

function u64Max(option) {
  // JSON numbers cannot hold 2^64-1 exactly: it parses as 2^64.
  if (option.max === undefined || option.max === null) return U64_MAX;
  const max = BigInt(Math.min(Number(option.max), 2 ** 64));
  return max > U64_MAX ? U64_MAX : max;
}

/**
 * Checks a value given as text against the option's description.
 * @returns {{value: number|string}|{error: string}} value: a number for int
 *   and float options, the canonical text otherwise (u64 values as decimal
 *   text: they do not fit a double). error: "must be ..." (the caller names
 *   the option and the value).
 */
export function checkOptionValue(option, input) {
  const text = String(input);
  const refuse = () => ({ error: `must be ${describeRange(option)}` });
  switch (option.type) {
    case 'enum': {
      const value = option.values.find((candidate) => same(candidate, text));
      return value === undefined ? refuse() : { value };
    }
    case 'u64': {
      // exact text: a u64 does not fit a double
      if (!/^\d+$/.test(text)) return refuse();
      const value = BigInt(text);
      if (value < BigInt(option.min ?? 0) || value > u64Max(option)) return refuse();
      return { value: value.toString() };
    }
    case 'int':
    case 'float': {
      if (!DECIMAL.test(text)) return refuse();
      const value = Number(text);
      if (!Number.isFinite(value) || (option.type === 'int' && !(isWhole(text) && Number.isSafeInteger(value)))) return refuse();
      if (option.min !== undefined && option.min !== null && (value < option.min || (option.minOpen && value === option.min))) return refuse();
      if (option.max !== undefined && option.max !== null && (value > option.max || (option.maxOpen && value === option.max))) return refuse();
      return { value };
    }
    default:
      return { value: String(input) }; // text: the core decides
  }
}

/**
 * Why a layer key (`g.layers.3.units`) would have no effect in `config` (a
 * {key: text} object of a whole configuration): a layer past the network's
 * last, or a field its kind does not use (the description's layer_kinds
 * says which kind uses which field). Null for keys that take effect and
 * for keys that are not layer fields.
 */
export function unusedLayerKey(description, config, key) {
  const match = /^([gd])\.layers\.(\d+)\.(\w+)$/.exec(key);
  if (!match) return null;
  const [, net, index, field] = match;
  const name = net === 'g' ? 'G' : 'D';
  const count = Number(config[`${net}.layer_count`]);
  if (!(Number(index) < count)) {
    return `${name} has ${count} layers (${net}.layers.0 to ${net}.layers.${count - 1}); there is no layer ${index}`;
  }
  if (field === 'kind') return null;
  const kind = config[`${net}.layers.${index}.kind`];
  const uses = description.layer_kinds?.find((entry) => entry.name === kind)?.fields;
  if (!uses || uses.includes(field)) return null;
  return `${net}.layers.${index} is a ${kind} layer, which uses ${uses.length ? uses.join(' and ') : 'no fields'}, not ${field}`;
}

/** The core's {key: text} overrides for option values ({param or option: value}). */
export function overridesOf(options, values, nameOf = (option) => option.param) {
  const out = {};
  for (const option of options) {
    const name = nameOf(option);
    if (!(name in values)) continue;
    for (const key of option.keys) out[key] = String(values[name]);
  }
  return out;
}

/**
 * The index of G's last layer with weights when it is dense (an MLP's output
 * layer, which a model's images size), else -1 (a convolutional G, whose
 * layers the core must judge against the images).
 */
function mlpOutputLayer(config) {
  let last = -1;
  for (let i = 0; config[`g.layers.${i}.kind`] !== undefined; i++) {
    if (['dense', 'conv', 'conv_transpose'].includes(config[`g.layers.${i}.kind`])) last = i;
  }
  return last >= 0 && config[`g.layers.${last}.kind`] === 'dense' ? last : -1;
}

/**
 * The overrides that size a preset's MLPs to images of `dim` pixels: data_dim, and the units of
 * G's last dense layer (D's first layer takes data_dim as it is). A convolutional G keeps its
 * layers, and the core says whether they fit. For the package API's own data.
 */
export function imageSizeOverrides(config, dim) {
  const last = mlpOutputLayer(config);
  return { data_dim: dim, ...(last >= 0 ? { [`g.layers.${last}.units`]: dim } : {}) };
}

/**
 * The overrides that give a preset images of `shape` ({channels, height, width}): data_dim and
 * the shape, and for an MLP G that layer's units, as imageSizeOverrides. For the page's and the
 * element's own data, which know their images' shape.
 */
export function dataOverrides(config, { channels, height, width }) {
  const dim = channels * height * width;
  return { ...imageSizeOverrides(config, dim), data_channels: channels, data_height: height, data_width: width };
}
