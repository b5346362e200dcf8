// The files `wxgate init` writes besides the handlers module and its test (those two are
// examples/handlers.ts and examples/handlers.test.ts, the README's examples, copied as they are).

export interface InitFilesOptions {
  /** The npm package name of the new project. */
  name: string;
  /** How the project depends on wxgate: a version range, or a tarball/path/git spec. */
  wxgateSpec: string;
}

export function packageJson({ name, wxgateSpec }: InitFilesOptions): string {
  const pkg = {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: {
      // Node reads .env (20.6+); variables already in the environment win over it.
      start: 'node --env-file=.env node_modules/wxgate/bin/wxgate.js all',
      test: 'node --import tsx --test handlers.test.ts',
    },
    dependencies: {
      wxgate: wxgateSpec,
      // Runs handlers.ts: wxgate loads a TypeScript module through its project's tsx.
      tsx: '^4.23.15',
    },
    devDependencies: { '@types/node': '^20.19.43' },
    engines: { node: '>=20.12' },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/** Every variable one account needs, and the few most projects set next. */
export const ENV_EXAMPLE = `# The account: MP console → 设置与开发 → 基本配置 (wxgate's README, "Filling in the MP console").
WECHAT_APPID=
# Needed for replies: the workers fetch the access_token with it. Without it pushes are still
# acknowledged, but no reply goes out (each waits for a token, then fails: \`npx wxgate dlq list\`).
WECHAT_APPSECRET=
# 服务器配置 → 令牌(Token): 3–32 letters or digits, the same value as in the console.
WECHAT_TOKEN=
# 服务器配置 → 消息加解密密钥 (43 characters); set it for 安全模式 or 兼容模式.
WECHAT_ENCODING_AES_KEY=

# Queues, the shared access_token and the locks.
REDIS_URL=redis://127.0.0.1:6379
# This project's handlers, relative to where \`npm start\` runs.
WXGATE_HANDLERS=./handlers.ts
# The receiver's address (nginx in front: WeChat calls only ports 80 and 443).
PORT=3000

# Optional:
# bearer token for /internal (the token and sending API for the account's other servers)
# WXGATE_INTERNAL_TOKEN=
# the queue dashboard under /admin/queues (basic auth)
# WXGATE_DASHBOARD_USER=
# WXGATE_DASHBOARD_PASSWORD=
# try it without an account: \`npx wxgate mock-wechat --port 4000\` and
# WECHAT_API_BASE=http://127.0.0.1:4000
`;

export const GITIGNORE = 'node_modules/\n.env\ndata/\n*.log\n';

export const TSCONFIG = `${JSON.stringify(
  {
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noUncheckedIndexedAccess: true, skipLibCheck: true, noEmit: true, types: ['node'] },
    include: ['*.ts'],
  },
  null,
  2,
)}\n`;

export function readme({ name }: Pick<InitFilesOptions, 'name'>): string {
  return `# ${name}

The handlers of a WeChat Official Account, run by wxgate:
wxgate answers WeChat's pushes, queues them in Redis and runs \`handlers.ts\` in its workers, which
reply through the customer-service (客服) API.

## Start: two commands

Fill in \`.env\` (a copy of \`.env.example\`: the account's AppID, AppSecret, Token and
EncodingAESKey from the MP console), have a Redis at \`REDIS_URL\`, then:

\`\`\`sh
npm install
npm start        # receiver and workers in one process (wxgate all), on $PORT
\`\`\`

\`npm test\` runs \`handlers.test.ts\` (Node's test runner; \`runHandler\` needs no Redis).

## Files

- \`handlers.ts\`: what the account answers. wxgate loads it (WXGATE_HANDLERS) through this
  project's tsx; to run compiled JavaScript instead, build it and point WXGATE_HANDLERS at the .js.
- \`handlers.test.ts\`: a test of one handler.
- \`.env.example\`: every variable the account needs (\`.env\` is your copy, kept out of git).

In production run \`wxgate serve\` (receivers, behind nginx) and \`wxgate worker\` as separate
processes: wxgate's docs/production.md, with the systemd units and nginx config it ships.
`;
}
