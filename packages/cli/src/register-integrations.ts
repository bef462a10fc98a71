import { Argument, type Command } from 'commander';

/** Declares the commands other programs run: git's and docker's credential helpers, shell completion. */
export function registerIntegrationCommands(program: Command): void {
  program
    .command('git-credential')
    .description(
      'git credential helper: a token for remotes listed in a profile\'s git_hosts (credential.helper = "!tokensmith git-credential")',
    )
    .argument('<action>', 'get, store or erase (git adds it)')
    .option('--config <path>', 'config file (default $XDG_CONFIG_HOME/tokensmith/config.toml)')
    .action(async (action, opts) =>
      (await import('./commands/git-credential.js')).gitCredentialCommand(action, opts),
    );

  program
    .command('docker-credential')
    .description(
      "docker credential helper (also the docker-credential-tokensmith program): a token for registries in a profile's docker_registries",
    )
    .argument('<action>', 'get, list, store, erase or version (server URL or JSON on stdin)')
    .option('--config <path>', 'config file (default $XDG_CONFIG_HOME/tokensmith/config.toml)')
    .action(async (action, opts) => {
      const { dockerCredentialMain } = await import('./commands/docker-credential.js');
      process.exitCode = await dockerCredentialMain([action], opts);
    });

  program
    .command('completion')
    .description('print a completion script for bash, zsh or fish (commands, flags and profile names)')
    .addArgument(new Argument('[shell]', 'the shell').choices(['bash', 'zsh', 'fish']))
    .option('--profiles', "list the config's profile names, one per line (what the scripts call)")
    .option('--config <path>', 'config file (default $XDG_CONFIG_HOME/tokensmith/config.toml)')
    .action(async (shell, opts, cmd: Command) => {
      const { completionCommand } = await import('./commands/completion.js');
      await completionCommand(shell, opts, cmd.parent ?? cmd);
    });
}
