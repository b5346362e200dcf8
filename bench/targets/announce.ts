/** Tells the bench harness (over IPC) which port the target listens on. */
export function announce(port: number): void {
  process.send?.({ port });
}
