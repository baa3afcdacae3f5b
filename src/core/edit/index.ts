export * from "./range";
export * from "./prompt";
export * from "./extract";
export * from "./review";
export * from "./relocate";
export * from "./ids";
export * from "./locate";
export * from "./apply";
