// Class rows for a class-conditional model: the `classes` weights G and D
// get beside each example (a one-hot row asks for one class, a blend of
// rows for something between). The worker builds its requests' rows here
// and the page builds the rows of its grid and strips here too, so a strip
// the page draws is the one an `interpolate {classes0, classes1}` request
// gives, bit for bit. Shared by browsers and Node.

/** One class's weights: `classes` values, 1 at `index`. */
export function oneHot(classes, index) {
  const row = new Float32Array(classes);
  row[index] = 1;
  return row;
}

/** `count` one-hot rows of class `index`. */
export function rowsOfClass(count, classes, index) {
  const rows = new Float32Array(count * classes);
  for (let i = 0; i < count; i++) rows[i * classes + index] = 1;
  return rows;
}

/**
 * `steps` rows moving linearly from `from` to `to` (weights of `classes`
 * values each): row i is (1 - t) from + t to, t = i / (steps - 1).
 */
export function blendRows(from, to, steps) {
  const classes = from.length;
  const rows = new Float32Array(steps * classes);
  for (let i = 0; i < steps; i++) {
    const t = i / (steps - 1);
    for (let k = 0; k < classes; k++) rows[i * classes + k] = (1 - t) * from[k] + t * to[k];
  }
  return rows;
}

/**
 * Rows for a grid of `classes` rows by `columns` columns, one row per class:
 * cell (row r, column c) is of class r.
 */
export function rowsByClass(classes, columns) {
  const rows = new Float32Array(classes * columns * classes);
  for (let r = 0; r < classes; r++) {
    for (let c = 0; c < columns; c++) rows[(r * columns + c) * classes + r] = 1;
  }
  return rows;
}

/** The number of classes of a configuration (a plain config object): 0 when it is unconditional. */
export function classCount(config) {
  return config?.conditional && config.conditional !== 'none' ? Number(config.classes) : 0;
}

// CIFAR-10's class names, in its label order (batches.meta.txt).
export const CIFAR10_CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

// Fashion-MNIST's, in its label order.
export const FASHION_MNIST_CLASS_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

const NAMES = { cifar: CIFAR10_CLASS_NAMES, 'fashion-mnist': FASHION_MNIST_CLASS_NAMES };

/**
 * What to call each class: the digit for MNIST, CIFAR-10's or Fashion-MNIST's names
 * (`kind` 'cifar', 'fashion-mnist') for their ten classes, else the class number.
 * @param {number} classes
 * @param {'mnist'|'cifar'|'fashion-mnist'|string|null} kind  the data the model trains on
 */
export function classNames(classes, kind) {
  const names = NAMES[kind];
  return Array.from({ length: classes }, (_, k) => (names && classes === names.length ? names[k] : String(k)));
}
