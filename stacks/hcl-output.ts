/**
 * What `cdktf synth --hcl` needs beyond cdktf's own renderer to write plain Terraform that validates cleanly and
 * means exactly what the JSON synthesis means. cdktf 0.21 is archived: these will not be fixed there.
 *
 * - References in meta-arguments come out quoted: `depends_on = ["aws_x.name"]`, `provider = "aws.us_east_1"`.
 *   Terraform accepts them with a "Quoted references are deprecated" warning each and may stop accepting them; in
 *   HCL they are bare references. (Terraform's JSON syntax spells them as strings: the JSON synthesis is right.)
 * - A multi-line string is written as a heredoc, whose value always ends with a newline, so the string gains one
 *   (the CloudFront Function's code would change by a byte, an update on the first apply after moving to HCL).
 */

/** A resource, data source or module address as `depends_on` names it. */
const ADDRESS = /^(?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+$|^module\.[A-Za-z0-9_-]+$/;
/** A provider configuration as `provider` names it: `aws` or `aws.<alias>`. */
const PROVIDER = /^[a-z][a-z0-9_-]*(?:\.[A-Za-z0-9_-]+)?$/;

/** Every `depends_on = [ "addr", ... ]` list of rendered HCL with its addresses unquoted. */
export function unquoteDependsOn(hcl: string): string {
  return hcl.replace(/^(\s*depends_on\s*=\s*\[)([^\]]*)\]/gm, (_match, head: string, body: string) => {
    const entries = body.replace(/"([^"\n]*)"/g, (quoted, address: string) => (ADDRESS.test(address) ? address : quoted));
    return `${head}${entries}]`;
  });
}

/** Every `provider = "aws.alias"` meta-argument of rendered HCL unquoted. */
export function unquoteProviders(hcl: string): string {
  return hcl.replace(/^(\s*provider\s*=\s*)"([^"\n]*)"$/gm, (line, head: string, provider: string) =>
    (PROVIDER.test(provider) ? `${head}${provider}` : line));
}

/**
 * Every `<<EOF` heredoc of rendered HCL made to hold exactly the string it was rendered from: cdktf writes the
 * string's lines between the markers, which adds a final newline. A string that ended with one loses its last
 * line break inside the heredoc; one that did not gets `chomp(...)`, which removes the added one.
 */
export function exactHeredocs(hcl: string): string {
  return hcl.replace(/<<EOF\n([\s\S]*?)\nEOF$/gm, (_match, content: string) =>
    (content.endsWith('\n') ? `<<EOF\n${content.slice(0, -1)}\nEOF` : `chomp(<<EOF\n${content}\nEOF\n)`));
}

/** All of the above, in the order that keeps each one's pattern intact. */
export function fixRenderedHcl(hcl: string): string {
  return unquoteProviders(unquoteDependsOn(exactHeredocs(hcl)));
}
