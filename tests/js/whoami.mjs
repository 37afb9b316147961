// Usage: node whoami.mjs <profile>
// Resolves credentials with the JS SDK v3 `fromProcess` provider (which reads
// AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE) for <profile>, then calls
// STS GetCallerIdentity and prints {"Arn","Account","UserId"} as JSON on stdout.
// The endpoint comes from AWS_ENDPOINT_URL_STS (then AWS_ENDPOINT_URL); the
// region from AWS_REGION, else us-east-1.
// Errors: message on stderr, exit code 1.
import { fromProcess } from "@aws-sdk/credential-providers";
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";

const profile = process.argv[2] || process.env.AWS_PROFILE || "default";
const endpoint = process.env.AWS_ENDPOINT_URL_STS || process.env.AWS_ENDPOINT_URL || undefined;
const region = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || "us-east-1";

try {
  const client = new STSClient({
    region,
    endpoint,
    credentials: fromProcess({ profile }),
    maxAttempts: 1,
  });
  const out = await client.send(new GetCallerIdentityCommand({}));
  process.stdout.write(JSON.stringify({ Arn: out.Arn, Account: out.Account, UserId: out.UserId }) + "\n");
  process.exit(0);
} catch (err) {
  process.stderr.write(`${err && err.name ? err.name + ": " : ""}${err && err.message ? err.message : String(err)}\n`);
  process.exit(1);
}
