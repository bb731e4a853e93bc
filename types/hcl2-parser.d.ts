declare module 'hcl2-parser' {
  const hcl: { parseToObject(text: string): [unknown, unknown]; parseToString(text: string): [string, unknown] };
  export default hcl;
}
