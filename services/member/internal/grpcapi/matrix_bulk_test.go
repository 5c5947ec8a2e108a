package grpcapi_test

// bulkOps are the bulk RPCs of the access matrix.
var bulkOps = []matrixOp{}

// streamingOps are the streaming RPCs, whose access is tested on their own
// (the matrix's transports call unary RPCs).
var streamingOps = []string{}
