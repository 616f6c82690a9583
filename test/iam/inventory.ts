/**
 * Every AWS SDK command stepshift's deployed code can send, read from the source of `functions/`: each
 * `new <Name>Command(` whose class is imported from an `@aws-sdk/*` package. A DynamoDB document
 * command (`PutCommand` of `@aws-sdk/lib-dynamodb`) is named by the DynamoDB command it sends
 * (`PutItemCommand`), which is what IAM authorizes and what the recorder sees.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** `{ Name: package }` for the names a file imports from `@aws-sdk/*`. */
function sdkImports(text: string): Map<string, string> {
  const imports = new Map<string, string>();
  for (const match of text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'(@aws-sdk\/[^']+)'/g)) {
    for (const raw of (match[1] ?? '').split(',')) {
      const name = raw
        .replace(/^\s*type\s+/, '')
        .trim()
        .split(/\s+as\s+/)
        .pop();
      if (name) imports.set(name, match[2] ?? '');
    }
  }
  return imports;
}

export interface SentBySource {
  /** The command as the recorder names it: `UpdateAliasCommand`, `PutItemCommand`. */
  command: string;
  /** Where the code constructs it, relative to the repository. */
  file: string;
}

/** Every SDK command constructed under `functions/`. */
export async function commandsInSource(): Promise<SentBySource[]> {
  const found: SentBySource[] = [];
  for (const path of sources(join(ROOT, 'functions'))) {
    const text = readFileSync(path, 'utf8');
    const imports = sdkImports(text);
    for (const match of text.matchAll(/new\s+(\w+Command)\s*\(/g)) {
      const name = match[1] ?? '';
      const pkg = imports.get(name);
      if (!pkg) continue;
      const module = (await import(pkg)) as Record<string, new (input: object) => unknown>;
      const Command = module[name];
      if (!Command) throw new Error(`${pkg} has no ${name}`);
      // A document command wraps the DynamoDB command it sends.
      const inner = (new Command({}) as { clientCommand?: { constructor: { name: string } } }).clientCommand;
      found.push({ command: inner?.constructor.name ?? name, file: relative(ROOT, path) });
    }
  }
  return found;
}
