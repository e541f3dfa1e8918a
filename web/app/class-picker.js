// The class picker of a class-conditional model: a row of toggle buttons,
// "All" (the grid shows one row per class) and one per class (the whole
// grid of that class), named by the data's classes (digits for MNIST,
// CIFAR-10's names). Hidden for an unconditional model. The page and the
// <gan-trainer> element both use it; what a pick does is up to them.

export class ClassPicker {
  /**
   * @param {HTMLElement} container  filled with the buttons (toggle buttons in a group: Tab moves between them)
   * @param {{onPick?: (index: number|null) => void, label?: string}} options
   */
  constructor(container, { onPick = () => {}, label = 'Class' } = {}) {
    this.container = container;
    this.onPick = onPick;
    this.names = [];
    this.value = null;
    container.setAttribute('role', 'group');
    container.setAttribute('aria-label', label);
    container.hidden = true;
    container.addEventListener('click', (event) => {
      const button = event.target.closest?.('button[data-class]');
      if (!button || button.disabled) return;
      const index = button.dataset.class === 'all' ? null : Number(button.dataset.class);
      this.select(index);
      this.onPick(index);
    });
  }

  /** Shows one button per name (and "All"), or hides the picker (names empty or null). */
  show(names, value = null) {
    this.names = names ?? [];
    this.container.hidden = this.names.length === 0;
    this.container.replaceChildren();
    const document = this.container.ownerDocument;
    const add = (key, text, title) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.class = key;
      button.textContent = text;
      button.title = title;
      this.container.append(button);
    };
    if (this.names.length) add('all', 'All', 'One row per class');
    this.names.forEach((name, index) => add(String(index), name, `Only class ${index}${name === String(index) ? '' : ` (${name})`}`));
    this.select(value);
  }

  /** Marks `index` (or null: All) as picked, without calling onPick. */
  select(index) {
    this.value = index;
    for (const button of this.container.querySelectorAll('button[data-class]')) {
      const picked = button.dataset.class === (index === null ? 'all' : String(index));
      button.setAttribute('aria-pressed', String(picked));
      button.classList.toggle('picked', picked);
    }
  }

  set disabled(disabled) {
    for (const button of this.container.querySelectorAll('button')) button.disabled = disabled;
  }
}
