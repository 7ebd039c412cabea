/**
 * Errors the user can fix (bad input, bad options) are `UserError`s: the CLI prints
 * their one-line message and exits with code 2, without a stack trace.
 * Anything else is an internal failure (exit code 1).
 */
export class UserError extends Error {
  override name = 'UserError';
}

/** Throw a UserError when `ok` is false. */
export function check(ok: unknown, message: string): asserts ok {
  if (!ok) throw new UserError(message);
}
