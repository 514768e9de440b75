package annotations

// Prefix is the prefix of gatebridge's own annotations, used only where no common annotation exists.
const Prefix = "gatebridge.dev/"

var gatebridgeFamily = supportedFamily("gatebridge", Prefix, EndpointsAnnotation)
