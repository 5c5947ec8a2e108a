package grpcapi_test

// reportingOps are the reporting RPCs of the access matrix.
var reportingOps = []matrixOp{}
