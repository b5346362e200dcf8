// Placeholder until the command lands (see the open issues); replaced by its real module.
export async function run(): Promise<number> {
  process.stderr.write('wxgate: this command is not built yet\n');
  return 2;
}
