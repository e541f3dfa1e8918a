// The one error type of the runtime. `code` is the core's status name
// (GAN_ERR_CHECKPOINT_MALFORMED, ...: the names come from gan_describe) or a
// JS-side code (LOAD_FAILED, BAD_REQUEST, BAD_OPTION, NO_SIMD, FREED, ...).

export class GanError extends Error {
  /**
   * @param {string} code  a status name (GAN_ERR_...) or a JS-side code
   * @param {string} message
   * @param {number} [status]  the core's numeric status, when it came from one
   */
  constructor(code, message, status) {
    super(message);
    this.name = 'GanError';
    this.code = code;
    this.status = status;
  }
}
