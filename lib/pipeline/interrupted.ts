/** The interruption of `epsx run` by the user (Ctrl-C), as the stages report it. */

/** Thrown when the user interrupts training; the state to resume from has been saved. */
export class Interrupted extends Error {
  override name = 'Interrupted';
}
