// The lab's user-facing error: one message, exit 1 (src/errors.ts). The VM
// tier uses it too, with its own prefix, so `lvsplay lab vm …` failures read
// "lvsplay lab vm: …" instead of an internal error.
import { UserError } from "../errors.js";

export class LabError extends UserError {
  override readonly name = "LabError";
  // Lab reports list what was left behind, one item a line.
  protected override readonly multiLine = true;
  constructor(message: string, prefix = "lvsplay lab") {
    super("lab", message, prefix);
  }
}

export const VM_PREFIX = "lvsplay lab vm";

/** A failure of the QEMU tier (boot, agent, forwards), as a lab error. */
export const vmError = (message: string): LabError => new LabError(message, VM_PREFIX);
