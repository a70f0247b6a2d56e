// One readable line for anything thrown: zod validation issues as
// "path: message; …", Errors as their message, anything else as text.
export function errorMessage(error: unknown): string {
  if (error && typeof error === "object" && "issues" in error && Array.isArray(error.issues)) {
    return error.issues
      .map(
        (i: { path?: unknown[]; message?: string }) => `${(i.path ?? []).join(".") || "args"}: ${i.message}`,
      )
      .join("; ");
  }
  return error instanceof Error ? error.message : String(error);
}
