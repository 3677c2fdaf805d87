/** A stylesheet imported `with { type: "text" }`: its source, to put in a <style> of the frame. */
declare module "*.css" {
  const text: string;
  export default text;
}
