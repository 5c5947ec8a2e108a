package grpcapi_test

// mobileOps are the mobile RPCs of the access matrix.
var mobileOps = []matrixOp{}
