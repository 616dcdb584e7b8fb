//===- NormalForm.h - polynomial normal form of tensor expressions -*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// What `norm-fuse` matches on. Frontends spell the same norm many ways:
// linalg.generic (fused or not), named linalg ops, tosa with implicit
// broadcasts, arith/math on tensors, reshapes and broadcasts between steps,
// the mean as Σ·(1/N) or Σ/N, rsqrt or 1/sqrt or pow(−0.5), x² as x·x or
// pow 2. Instead of one pattern per spelling, an expression is evaluated
// symbolically into a canonical polynomial:
//
//   * an `ExprView` reads one op of any of those dialects as one step
//     (add, mul, div, sqrt, pow, cast, Σ over some dims, ...) on `Term`s:
//     a value and the affine map from the "context" index space (the dims
//     of the expression's root) to the value's dims. Broadcasts, reshapes
//     that add or drop unit dims, transposes, and linalg indexing maps only
//     change the map; a linalg body is read through its block arguments.
//   * a `NormalFormBuilder` folds the steps into a `Poly`: a sum of
//     monomials with double coefficients over hash-consed atoms (leaves,
//     Σ over trailing context dims, sqrt of a polynomial, a dynamic size).
//     Constant factors and factors that do not depend on the summed dims
//     are pulled out of Σ, Σ distributes over +, nested Σ merge, 1/sqrt(u)
//     is sqrt(u)^-1 and sqrt(u)^2 is u.
//
// Two spellings of the same math then have the same polynomial, and a
// matcher compares the polynomial of a candidate with the one it expects.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_DIALECT_NORM_UTILS_NORMALFORM_H
#define NORM_DIALECT_NORM_UTILS_NORMALFORM_H

#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DynamicAPInt.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlir::norm {

/// A value read at every point of a context index space: `map` goes from the
/// context dims to the value's dims (for a scalar inside a linalg body, to
/// the linalg op's loop dims; for any other scalar it has no results).
struct Term {
  Value value;
  AffineMap map;
};

/// An exact rational number: the coefficients of a normal form. Constants
/// of the IR are binary floats, hence exact rationals; 1/N, products and
/// sums stay exact, so two polynomials are equal only if they are, and no
/// tolerance decides a match (issue 23).
class Rational {
public:
  Rational(int64_t n = 0) : num(n), den(1) {}
  Rational(int n) : num(n), den(1) {}
  /// Not from a double implicitly (it would truncate): use fromDouble.
  Rational(double) = delete;
  Rational(int64_t n, int64_t d);
  Rational(llvm::DynamicAPInt n, llvm::DynamicAPInt d);
  /// The exact value of a finite double; nullopt for inf and NaN.
  static std::optional<Rational> fromDouble(double d);
  static std::optional<Rational> fromAPFloat(const llvm::APFloat &f);

  bool isZero() const { return num == 0; }
  int sign() const { return num > 0 ? 1 : num < 0 ? -1 : 0; }
  /// The nearest double (exact when the value is a double, as every
  /// constant read from the IR is).
  double toDouble() const;
  /// The exact square root, if numerator and denominator are squares.
  std::optional<Rational> sqrt() const;
  /// Numerator/denominator, exact: a structural key.
  std::string str() const;

  Rational operator-() const { return Rational(-num, den); }
  friend Rational operator+(const Rational &a, const Rational &b);
  friend Rational operator-(const Rational &a, const Rational &b);
  friend Rational operator*(const Rational &a, const Rational &b);
  /// `b` must not be 0.
  friend Rational operator/(const Rational &a, const Rational &b);
  friend bool operator==(const Rational &a, const Rational &b) {
    return a.num == b.num && a.den == b.den;
  }
  friend bool operator!=(const Rational &a, const Rational &b) {
    return !(a == b);
  }
  friend bool operator<(const Rational &a, const Rational &b) {
    return a.num * b.den < b.num * a.den;
  }
  Rational &operator+=(const Rational &b) { return *this = *this + b; }

private:
  void normalize();
  llvm::DynamicAPInt num, den; ///< den > 0, gcd(num, den) = 1.
};

/// One step of an expression, whatever dialect spells it.
enum class StepKind {
  Leaf,     ///< Not understood (or a stop value): an opaque input.
  Const,    ///< A splat constant `value` of element type `type`.
  Identity, ///< The value of `operands[0]` (cast-free reshape, broadcast...).
  Add,
  Sub,
  Mul,
  Div,
  Neg,
  Sqrt,
  Rsqrt,
  Recip,
  Pow,   ///< operands[0] ^ `constant`.
  Ext,   ///< Widening float cast.
  Trunc, ///< Narrowing float cast to `type`.
  Sum,   ///< Σ of operands[0] over `reducedSizes.size()` new trailing dims.
  Size,  ///< The size of dim `dim` of `sizeOf` (a dynamic N).
};

struct Step {
  StepKind kind = StepKind::Leaf;
  SmallVector<Term, 2> operands;
  double constant = 0.0; ///< Pow: the exponent.
  Rational value;         ///< Const: the exact value.
  Type type;
  /// Sum: static sizes of the summed dims (ShapedType::kDynamic if not) and
  /// for each a tensor and dim that has that size.
  SmallVector<int64_t> reducedSizes;
  SmallVector<std::pair<Value, int64_t>> reducedSources;
  /// Size: the tensor and its dim.
  Value sizeOf;
  int64_t dim = 0;
  Operation *op = nullptr;
};

/// Reads the op that defines `term.value` as one step (see `StepKind`).
Step viewStep(const Term &term);

/// Follows producers that provably preserve the shape (a listed set:
/// elementwise ops without broadcasting, casts, identity-map linalg ops;
/// never a transpose, slice or reshape) from `value` to the first input:
/// two tensors with the same canonical source have the same sizes at run
/// time.
Value canonicalShapeSource(Value value);

/// Whether `a` and `b` provably have the same shape at run time: both
/// static and equal, or one reached from the other through shape-preserving
/// operands (the list of `canonicalShapeSource`), or the same canonical
/// shape source.
bool provablySameShape(Value a, Value b);

using AtomId = unsigned;
/// A product of atoms with integer powers, sorted by atom id.
using Monomial = std::vector<std::pair<AtomId, int>>;

/// A polynomial: monomials with coefficients. The empty monomial is 1.
struct Poly {
  std::map<Monomial, Rational> terms;

  static Poly constant(const Rational &c);
  static Poly atom(AtomId id, int power = 1);
  bool isZero() const { return terms.empty(); }
  /// The single monomial with coefficient `*coeff`, if there is one term.
  std::optional<Monomial> singleMonomial(Rational *coeff = nullptr) const;
};

enum class AtomKind { Leaf, Sum, Sqrt, Size };

struct Atom {
  AtomKind kind;
  unsigned numDims;   ///< Context dims it lives in.
  uint64_t deps = 0;  ///< Bit i: depends on context dim i.
  Value value;        ///< Leaf: the value; Size: the tensor.
  AffineMap map;      ///< Leaf: context -> value dims.
  int64_t dim = 0;    ///< Size: the dim.
  Poly inner;         ///< Sum: over numDims + k dims; Sqrt: over numDims.
  SmallVector<int64_t> reducedSizes;
  SmallVector<std::pair<Value, int64_t>> reducedSources;
};

/// Builds and compares normal forms. Atoms are hash-consed, so two atoms
/// with the same structure have the same id. One builder per match.
class NormalFormBuilder {
public:
  /// Values in `stopAt` are leaves: the expression is not expanded through
  /// them (the norm's input, its weight, ...).
  explicit NormalFormBuilder(llvm::SmallDenseSet<Value> stopAt = {})
      : stopAt(std::move(stopAt)) {}

  /// The normal form of `term`; failure if a step cannot be expressed
  /// (a non-integer power, a body value the builder cannot name, ...).
  FailureOr<Poly> build(const Term &term);
  FailureOr<Poly> build(Value value);

  // Construction.
  AtomId leaf(Value value, AffineMap map);
  AtomId size(Value value, int64_t dim);
  /// Σ over the last `sizes.size()` dims of `inner`'s context, in a context
  /// of `numDims` dims.
  Poly sum(const Poly &inner, unsigned numDims, ArrayRef<int64_t> sizes,
           ArrayRef<std::pair<Value, int64_t>> sources);
  Poly add(const Poly &a, const Poly &b);
  Poly sub(const Poly &a, const Poly &b);
  Poly scale(const Poly &a, const Rational &c);
  Poly mul(const Poly &a, const Poly &b);
  Poly sqrt(const Poly &a, unsigned numDims);
  Poly inverse(const Poly &a, unsigned numDims);
  FailureOr<Poly> power(const Poly &a, double exponent, unsigned numDims);
  /// `a` with every context dim `d` renamed `dims[d]`, in `numDims` dims.
  Poly remap(const Poly &a, ArrayRef<unsigned> dims, unsigned numDims);

  // Inspection.
  const Atom &getAtom(AtomId id) const { return atoms[id]; }
  uint64_t deps(const Poly &p) const;
  uint64_t deps(const Monomial &m) const;
  /// Exactly equal (same monomials, same rational coefficients).
  bool equal(const Poly &a, const Poly &b) const;
  /// Whether every value of `p` is >= 0: a sum of positive multiples of
  /// products of even powers and of atoms known non-negative (sqrt atoms,
  /// sizes, Σ of such).
  bool isNonNegative(const Poly &p) const;
  bool isNonNegative(AtomId id) const;
  /// The one allowance to exactness: a constant that is 1/N rounded to
  /// nearest in its own element type, for N one of `counts` (the row
  /// lengths the matcher may divide by, set before building), is read as
  /// exactly 1/N: a frontend's pre-folded 1/N (f32 6.51041686e-4 for
  /// 1/1536). Nothing else is rounded.
  void setCounts(ArrayRef<int64_t> n) { counts.assign(n.begin(), n.end()); }
  /// The constant as written, if `value` is a 1/N read from a rounded one
  /// (eps keeps the value the frontend wrote).
  std::optional<Rational> asWritten(const Rational &value) const;
  std::string key(const Poly &p) const;

  /// Every value the last builds went through, with the map it was read at
  /// and its normal form (first map seen).
  struct Visit {
    AffineMap map;
    Poly poly;
  };
  const llvm::MapVector<Value, Visit> &getVisited() const { return visited; }
  /// Ops that were expanded (not leaves).
  const llvm::SetVector<Operation *> &getExpandedOps() const {
    return expandedOps;
  }
  /// A rounding met: a narrowing cast, or arithmetic carried out in a float
  /// type narrower than f32 (`implicit`; `arith.mulf` on bf16 rounds its
  /// product to bf16 as a cast would). `input` is the normal form of the
  /// exact value that is rounded, `type` the type it is rounded to.
  struct Rounding {
    Poly input;
    Type type;
    Operation *op = nullptr;
    bool implicit = false;
  };
  const SmallVector<Rounding> &getTruncs() const { return truncs; }
  /// A value and map whose whole normal form is `p`, if one was built.
  std::optional<Term> representative(const Poly &p) const;

private:
  AtomId intern(Atom atom);
  std::string atomKey(const Atom &atom) const;
  Poly mulMonomial(const Monomial &a, const Monomial &b, const Rational &c);
  AtomId remapAtom(AtomId id, ArrayRef<unsigned> dims, unsigned numDims);

  llvm::SmallDenseSet<Value> stopAt;
  std::vector<Atom> atoms;
  llvm::StringMap<AtomId> atomIds;
  std::map<std::pair<void *, void *>, std::optional<Poly>> memo;
  llvm::MapVector<Value, Visit> visited;
  llvm::SetVector<Operation *> expandedOps;
  SmallVector<Rounding> truncs;
  SmallVector<int64_t> counts;
  /// 1/N -> the rounded constant read as it.
  SmallVector<std::pair<Rational, Rational>> snapped;
  llvm::StringMap<Term> representatives;
};

} // namespace mlir::norm

#endif // NORM_DIALECT_NORM_UTILS_NORMALFORM_H
