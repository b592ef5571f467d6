package testenv

// ForceSidecar makes StartVersityGW use a --sidecar metadata directory as on
// a file system without user xattrs.
var ForceSidecar = &forceSidecar
