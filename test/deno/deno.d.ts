// The one Deno API the Deno runner uses, declared for the Node type-check.
declare const Deno: { exit(code: number): never };
