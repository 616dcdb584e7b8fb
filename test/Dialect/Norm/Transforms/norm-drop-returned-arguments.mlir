// RUN: norm-opt %s --norm-drop-returned-arguments | FileCheck %s

// Results that return an argument are dropped, in public functions too;
// calls use the argument they passed. Other results stay.
// CHECK-LABEL: func.func @f(%{{.+}}: memref<4xf32>, %{{.+}}: memref<4xf32>) -> memref<4xf32>
// CHECK:         %[[A:.+]] = memref.alloc
// CHECK:         return %[[A]] : memref<4xf32>
func.func @f(%x: memref<4xf32>, %y: memref<4xf32>) -> (memref<4xf32>, memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  return %y, %a : memref<4xf32>, memref<4xf32>
}

// CHECK-LABEL: func.func @caller
// CHECK:         %[[R:.+]] = call @f(%{{.+}}, %[[Y:.+]]) : (memref<4xf32>, memref<4xf32>) -> memref<4xf32>
// CHECK:         memref.copy %[[Y]], %[[R]]
func.func @caller(%x: memref<4xf32>, %y: memref<4xf32>) {
  %0:2 = call @f(%x, %y) : (memref<4xf32>, memref<4xf32>) -> (memref<4xf32>, memref<4xf32>)
  memref.copy %0#0, %0#1 : memref<4xf32> to memref<4xf32>
  return
}

// A result that returns different arguments on different paths stays.
// CHECK-LABEL: func.func @either(%{{.+}}: i1, %{{.+}}: memref<4xf32>, %{{.+}}: memref<4xf32>) -> memref<4xf32>
func.func @either(%c: i1, %x: memref<4xf32>, %y: memref<4xf32>) -> memref<4xf32> {
  cf.cond_br %c, ^a, ^b
^a:
  return %x : memref<4xf32>
^b:
  return %y : memref<4xf32>
}
