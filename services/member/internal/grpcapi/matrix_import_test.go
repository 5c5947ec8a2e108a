package grpcapi_test

// importOps are the import RPCs of the access matrix.
var importOps = []matrixOp{}
