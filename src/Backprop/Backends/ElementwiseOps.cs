namespace Backprop.Backends;

/// <summary>The elementwise maps a backend implements (candle's unary op family, tinygrad's unary ALU ops).</summary>
internal enum UnaryKind { Neg, Exp, Log, Sqrt, Abs, Sign, Sigmoid, Tanh, Relu, LeakyRelu, Pow, Clamp, Gelu, GeluTanh, Erf, Log1p, Expm1, Sin, Cos, Floor, Ceil, Round, Reciprocal, Rsqrt }

/// <summary>A map and its parameters: <c>A</c> is LeakyRelu's slope or Pow's exponent, <c>A</c>/<c>B</c> Clamp's bounds.</summary>
internal readonly record struct UnaryOp(UnaryKind Kind, double A = 0, double B = 0);

/// <summary>The broadcasting binary ops a backend implements; comparisons give 1/0 in the operands' dtype.</summary>
internal enum BinaryKind { Add, Sub, Mul, Div, Max, Min, Eq, Ne, Lt, Le, Gt, Ge, Pow }

/// <summary>The index-driven primitive <see cref="IBackend.Scatter"/> performs.</summary>
internal enum ScatterKind { Gather, Scatter, ScatterAdd }
