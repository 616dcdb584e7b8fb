// Distributed norms on a real MPI runtime (MPICH): global functions whose
// hidden dim (and, on a 2×2 grid, also the rows) is annotated as sharded go
// through sharding-propagation → shard-partition (the norm ops'
// ShardingInterface: pre_all_gather → shard.all_gather → post_all_gather;
// gradients with all-reduced row sums; dgamma/dbeta all-reduced over row
// shards) → norm-lower-to-cpu (norm-all-gather-to-all-reduce,
// convert-shard-to-mpi, norm-finalize-mpi) → a shared library that every
// rank calls on its shard. Each rank compares its shard of every output with
// the single-process unsplit op and a float64 reference: rms_norm and
// layer_norm (± residual, ± gamma/beta), rms_norm_grad and layer_norm_grad
// (± gamma), f32, f16 and bf16, layer norm on mean-100 data; 1, 2 and 4
// processes (oversubscribed on a 2-core machine). Criteria in check_mpi.py.
// REQUIRES: mpi
// RUN: rm -rf %t && mkdir -p %t
// RUN: %numpy_python %S/check_mpi.py compile %norm_obj_root/bin/norm-opt %t 1
// RUN: %numpy_python %S/check_mpi.py compile %norm_obj_root/bin/norm-opt %t 2
// RUN: %numpy_python %S/check_mpi.py compile %norm_obj_root/bin/norm-opt %t 4
// RUN: %mpirun -n 1 %numpy_python %S/check_mpi.py run %t 1
// RUN: %mpirun -n 2 %numpy_python %S/check_mpi.py run %t 2
// RUN: %mpirun -n 4 %numpy_python %S/check_mpi.py run %t 4
// A program partitioned for 4 processes, started on 2: it stops with its
// message instead of computing wrong shards (issue 21 item 7).
// RUN: not %mpirun -n 2 %numpy_python %S/check_mpi.py mismatch %t 4 > %t/mismatch.log 2>&1
// RUN: FileCheck %s --check-prefix=WORLD < %t/mismatch.log
// WORLD: norm: @{{[a-z_0-9]+}} was partitioned for the 4 processes of @g (shape 4) but runs on another number of MPI processes
// WORLD-NOT: the call returned
// RUN: %numpy_python %S/check_mpi.py summary %t 1 | FileCheck %s --check-prefix=P1
// RUN: %numpy_python %S/check_mpi.py summary %t 2 | FileCheck %s --check-prefix=P2
// RUN: %numpy_python %S/check_mpi.py summary %t 4 | FileCheck %s --check-prefix=P4
// P1-NOT: FAILED
// P1: 1 processes: 36 passed, 0 failed
// P2-NOT: FAILED
// P2: 2 processes: 72 passed, 0 failed
// P4-NOT: FAILED
// P4: 4 processes: 192 passed, 0 failed
