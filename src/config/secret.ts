// A secret read from the inventory's sources (an environment variable, a file
// of mode 0600, or the inventory itself). Its value is only handed out by
// reveal(); printed, logged, interpolated or serialised it reads <redacted>.
import { inspect } from "node:util";

export const REDACTED = "<redacted>";

export class Secret {
  readonly #value: string;
  /** Where the value came from, for messages ("environment variable X", "file F"). */
  readonly source: string;

  constructor(value: string, source: string) {
    this.#value = value;
    this.source = source;
  }

  /** The value itself: only for the place that must send it (a rendered file, sudo's stdin). */
  reveal(): string {
    return this.#value;
  }

  equals(other: Secret | undefined): boolean {
    return other !== undefined && other.#value === this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED} from ${this.source})`;
  }
}
