/**
 * Errors the user can fix (bad input, bad options) are `UserError`s: the CLI prints
 * their one-line message and exits with code 2, without a stack trace.
 * Anything else is an internal failure (exit code 1).
 */
export class UserError extends Error {
  override name = 'UserError';

  /**
   * Messages often quote input (a tensor name, a JSON.parse excerpt): line breaks and other
   * control characters in it become one space, so the message stays one line.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message.replace(/\s*[\u0000-\u001f\u007f]+\s*/g, ' '), options);
  }
}

/** Throw a UserError when `ok` is false. */
export function check(ok: unknown, message: string): asserts ok {
  if (!ok) throw new UserError(message);
}
