import type { Command } from 'commander';

/**
 * One or more example lines for each command path (`''` is `tokensmith` itself). Every command
 * needs an entry: a test checks that each `--help` ends with an "Example" section.
 */
const EXAMPLES: Record<string, string[]> = {
  '': [
    'tokensmith token -p crm',
    'tokensmith completion bash > ~/.local/share/bash-completion/completions/tokensmith',
  ],
  token: [
    'tokensmith token -p crm',
    'curl -H "Authorization: Bearer $(tokensmith token -p crm)" https://api.example.com/me',
  ],
  exec: ['tokensmith exec -p crm -- ./sync.sh --full'],
  login: ['tokensmith login -p crm', 'tokensmith login -p crm --browser-command "firefox --new-window %s"'],
  logout: ['tokensmith logout -p crm'],
  status: ['tokensmith status --json'],
  proxy: ['tokensmith proxy -p crm --upstream https://api.example.com --listen 127.0.0.1:8080'],
  decode: ['tokensmith token -p crm | tokensmith decode'],
  request: ['tokensmith request -p crm -X POST -d @body.json https://api.example.com/items'],
  emulate: ['tokensmith emulate oidc --port 8080'],
  'emulate oidc': ['tokensmith emulate oidc --port 8080 --realm demo --json'],
  'emulate kaltura': ['tokensmith emulate kaltura --port 8081 --state-file kaltura.json'],
  'emulate kalliope': ['tokensmith emulate kalliope --port 8082 --json'],
  demo: ['tokensmith demo --json'],
  kaltura: ['tokensmith kaltura session --partner-id 100 --app-token-id 0_abc123'],
  'kaltura session': [
    'KALTURA_APP_TOKEN=... tokensmith kaltura session --partner-id 100 --app-token-id 0_abc123',
  ],
  'kaltura app-token': ['tokensmith kaltura app-token list --partner-id 100'],
  'kaltura app-token create': [
    'tokensmith kaltura app-token create --partner-id 100 --role-name "Read only" --expiry 90d --token-file app.token',
  ],
  'kaltura app-token list': ['tokensmith kaltura app-token list --partner-id 100 --status ACTIVE'],
  'kaltura app-token get': ['tokensmith kaltura app-token get --partner-id 100 0_abc123'],
  'kaltura app-token update': ['tokensmith kaltura app-token update --partner-id 100 --expiry 30d 0_abc123'],
  'kaltura app-token delete': ['tokensmith kaltura app-token delete --partner-id 100 0_abc123'],
  'kaltura role-id': ['tokensmith kaltura role-id --partner-id 100 "Read only"'],
  'kaltura role-add': [
    'tokensmith kaltura role-add --partner-id 100 --permissions CONTENT_INGEST_BASE "Uploader"',
  ],
  'kaltura user-add': ['tokensmith kaltura user-add --partner-id 100 --email ana@example.com ana'],
  'kaltura category-user-add': [
    'tokensmith kaltura category-user-add --partner-id 100 --category-id 42 --user-id ana',
  ],
  'kaltura audit': ['tokensmith kaltura audit --partner-id 100 --fail-on high'],
  'kaltura inspect': ['tokensmith kaltura inspect --ks-env KALTURA_SESSION'],
  'kaltura privileges': ['tokensmith kaltura privileges "sview:*,urirestrict:/api_v3/service/media/*"'],
  kalliope: ['tokensmith kalliope header --url https://admin@pbx.example.com/default'],
  'kalliope header': [
    'KALLIOPE_PASSWORD=... tokensmith kalliope header --url https://admin@pbx.example.com/default',
  ],
  'git-credential': ['git config --global credential.helper "!tokensmith git-credential"'],
  'docker-credential': ['echo registry.example.com | tokensmith docker-credential get'],
  completion: [
    'source <(tokensmith completion bash)',
    'tokensmith completion zsh > ~/.zfunc/_tokensmith   # with fpath+=(~/.zfunc) before compinit',
    'tokensmith completion fish > ~/.config/fish/completions/tokensmith.fish',
  ],
};

/** Add the "Example" section under every command's `--help`. */
export function addHelpExamples(program: Command): void {
  const visit = (cmd: Command, path: string) => {
    const lines = EXAMPLES[path];
    if (lines)
      cmd.addHelpText(
        'after',
        `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`,
      );
    for (const sub of cmd.commands) visit(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  visit(program, '');
}
