// `user create|list|disable|enable|delete`: access keys and their IAM policies.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { UsageError } from './client.mjs';

export const usage = `user create --name NAME --policy FILE   a new access key with the IAM policy in FILE (- for stdin);
                                          prints {"accessKeyId", "secretAccessKey", ...}: the secret is shown only now
user list                                 every created key: id, name, status, creation time, policy
user disable ID | user enable ID          stop (or resume) a key signing requests (within 10 s everywhere)
user delete ID                            delete a key for good`;

async function readPolicy(file) {
  try {
    if (file !== '-') return await readFile(file, 'utf8');
    const chunks = [];
    for await (const chunk of process.stdin) chunks.push(chunk);
    return Buffer.concat(chunks).toString('utf8');
  } catch (e) {
    throw new UsageError(`cannot read the policy file ${file}: ${e.message}`);
  }
}

const print = (value) => console.log(JSON.stringify(value, null, 2));

export async function run(args, client) {
  const [command, ...rest] = args;
  const parsed = (options = {}) => {
    try {
      return parseArgs({ args: rest, options, allowPositionals: true });
    } catch (e) {
      throw new UsageError(e.message);
    }
  };
  const id = () => {
    const { positionals } = parsed();
    if (positionals.length !== 1) throw new UsageError(`user ${command} takes one access key id`);
    return encodeURIComponent(positionals[0]);
  };
  switch (command) {
    case 'create': {
      const { values, positionals } = parsed({ name: { type: 'string' }, policy: { type: 'string' } });
      if (!values.name || !values.policy || positionals.length) throw new UsageError('user create needs --name NAME --policy FILE');
      // The policy goes as text: the service validates it and says what is wrong.
      print(await client.request('POST', 'users', { name: values.name, policy: await readPolicy(values.policy) }));
      return 0;
    }
    case 'list': {
      parsed();
      print((await client.request('GET', 'users')).users);
      return 0;
    }
    case 'disable':
    case 'enable':
      print(await client.request('POST', `users/${id()}?${command}`));
      return 0;
    case 'delete': {
      const accessKeyId = id();
      await client.request('DELETE', `users/${accessKeyId}`);
      console.error(`deleted ${decodeURIComponent(accessKeyId)}`);
      return 0;
    }
    default:
      throw new UsageError(command ? `unknown user command "${command}"` : 'user needs a command: create, list, disable, enable or delete');
  }
}
