using System.Text;

namespace Backprop.Backends.Cuda;

/// <summary>
/// The elementwise kernel family, generated from one template (CuPy's <c>ElementwiseKernel</c>, candle's <c>UNARY_OP</c>
/// macros): each op is one CUDA C expression, instantiated per dtype into a grid-stride loop. <see cref="IBackend.Map"/>'s
/// ops read <c>x</c> (and the parameters <c>a</c>, <c>b</c>); <see cref="IBackend.Binary"/>'s read <c>u</c> and <c>v</c>, through
/// broadcast strides (<c>binary_*</c>) or against a scalar (<c>binary_scalar_*</c>).
/// </summary>
internal static class ElementwiseKernels
{
    /// <summary>The CUDA C expression of each map; <c>T</c> is the element type.</summary>
    public static readonly IReadOnlyDictionary<UnaryKind, string> Unary = new Dictionary<UnaryKind, string>
    {
        [UnaryKind.Neg] = "-x",
        [UnaryKind.Exp] = "exp(x)",
        [UnaryKind.Log] = "log(x)",
        [UnaryKind.Sqrt] = "sqrt(x)",
        [UnaryKind.Abs] = "fabs(x)",
        [UnaryKind.Sign] = "bp_sign(x)",
        [UnaryKind.Sigmoid] = "T(1) / (T(1) + exp(-x))",
        [UnaryKind.Tanh] = "tanh(x)",
        [UnaryKind.Relu] = "x != x ? x : (x > T(0) ? x : T(0))",
        [UnaryKind.LeakyRelu] = "x > T(0) ? x : x * T(a)",
        [UnaryKind.Pow] = "a == 2 ? x * x : pow(x, T(a))",
        [UnaryKind.Clamp] = "bp_clamp(x, T(a), T(b))",
        [UnaryKind.Gelu] = "T(0.5 * (double)x * (1.0 + erf((double)x / sqrt(2.0))))",
        [UnaryKind.GeluTanh] = "T(0.5 * (double)x * (1.0 + tanh(sqrt(2.0 / 3.14159265358979323846) * ((double)x + 0.044715 * (double)x * (double)x * (double)x))))",
        [UnaryKind.Erf] = "T(erf((double)x))",
        [UnaryKind.Log1p] = "log1p(x)",
        [UnaryKind.Expm1] = "expm1(x)",
        [UnaryKind.Sin] = "sin(x)",
        [UnaryKind.Cos] = "cos(x)",
        [UnaryKind.Floor] = "floor(x)",
        [UnaryKind.Ceil] = "ceil(x)",
        [UnaryKind.Round] = "rint(x)",
        [UnaryKind.Reciprocal] = "T(1) / x",
        [UnaryKind.Rsqrt] = "T(1) / sqrt(x)",
    };

    /// <summary>The CUDA C expression of each binary op over <c>u</c> and <c>v</c>; comparisons give 1 or 0 in <c>T</c>.</summary>
    public static readonly IReadOnlyDictionary<BinaryKind, string> Binary = new Dictionary<BinaryKind, string>
    {
        [BinaryKind.Add] = "u + v",
        [BinaryKind.Sub] = "u - v",
        [BinaryKind.Mul] = "u * v",
        [BinaryKind.Div] = "u / v",
        [BinaryKind.Max] = "bp_max(u, v)",
        [BinaryKind.Min] = "bp_min(u, v)",
        [BinaryKind.Eq] = "T(u == v ? 1 : 0)",
        [BinaryKind.Ne] = "T(u != v ? 1 : 0)",
        [BinaryKind.Lt] = "T(u < v ? 1 : 0)",
        [BinaryKind.Le] = "T(u <= v ? 1 : 0)",
        [BinaryKind.Gt] = "T(u > v ? 1 : 0)",
        [BinaryKind.Ge] = "T(u >= v ? 1 : 0)",
        [BinaryKind.Pow] = "pow(u, v)",
    };

    /// <summary>
    /// The Int64 expressions that differ from <see cref="Binary"/>'s: division truncates toward zero (0 for a zero divisor,
    /// which a kernel cannot report: <c>Tensor.Div_</c> checks the divisor first and throws on every device), Pow is the
    /// CPU's integer power.
    /// </summary>
    public static readonly IReadOnlyDictionary<BinaryKind, string> BinaryInt64 = new Dictionary<BinaryKind, string>
    {
        [BinaryKind.Div] = "bp_idiv(u, v)",
        [BinaryKind.Pow] = "bp_ipow(u, v)",
    };

    /// <summary>The floating dtypes the family is instantiated for, with their C type and kernel-name suffix.</summary>
    public static readonly (DType DType, string CType, string Suffix)[] Types = [(DType.Float32, "float", "f32"), (DType.Float64, "double", "f64")];

    /// <summary>The kernel-name suffix of <paramref name="dtype"/> (<c>f32</c>, <c>f64</c>, <c>i64</c>).</summary>
    public static string Suffix(DType dtype) => dtype switch
    {
        DType.Float32 => "f32",
        DType.Float64 => "f64",
        _ => "i64",
    };

    public static string MapName(UnaryKind kind, DType dtype) => $"map_{kind.ToString().ToLowerInvariant()}_{Suffix(dtype)}";

    public static string BinaryName(BinaryKind kind, DType dtype) => $"binary_{kind.ToString().ToLowerInvariant()}_{Suffix(dtype)}";

    public static string BinaryScalarName(BinaryKind kind, DType dtype) => $"binary_scalar_{kind.ToString().ToLowerInvariant()}_{Suffix(dtype)}";

    /// <summary>
    /// The one template: an <c>extern "C"</c> kernel <paramref name="name"/> over element type <paramref name="cType"/>
    /// (named <c>T</c> inside), taking <c>n</c> and <paramref name="parameters"/>, running <paramref name="body"/> for each
    /// index <c>i</c> of a grid-stride loop.
    /// </summary>
    public static string Instantiate(string name, string cType, string parameters, string body) =>
        $"#define T {cType}\n" +
        $"extern \"C\" __global__ void {name}(long long n, {parameters}) {{\n" +
        $"    BP_FOR(i, n) {{ {body} }}\n" +
        "}\n#undef T\n";

    /// <summary>The module with every map for every floating dtype.</summary>
    public static string UnarySource()
    {
        var sb = new StringBuilder("// Generated by ElementwiseKernels.UnarySource.\n");
        foreach (var (dtype, cType, _) in Types)
            foreach (var (kind, expr) in Unary)
                sb.Append(Instantiate(MapName(kind, dtype), cType, "const T* __restrict__ xs, T* __restrict__ ys, double a, double b",
                    $"T x = xs[i]; ys[i] = {expr};"));
        return sb.ToString();
    }

    /// <summary>
    /// The module with every binary op, broadcasting (strided) and against a scalar, for every floating dtype; and the
    /// broadcasting ones for Int64 (comparisons and arithmetic on labels and indices).
    /// </summary>
    public static string BinarySource()
    {
        var sb = new StringBuilder("// Generated by ElementwiseKernels.BinarySource.\n");
        foreach (var (kind, expr) in Binary)
            sb.Append(Instantiate(BinaryName(kind, DType.Int64), "bp_i64",
                "const T* __restrict__ as, Strides sa, const T* __restrict__ bs, Strides sb, T* out, Dims d",
                $"T u = as[strided_offset(i, d, sa)]; T v = bs[strided_offset(i, d, sb)]; out[i] = {BinaryInt64.GetValueOrDefault(kind, expr)};"));
        foreach (var (dtype, cType, _) in Types)
            foreach (var (kind, expr) in Binary)
            {
                sb.Append(Instantiate(BinaryName(kind, dtype), cType,
                    "const T* __restrict__ as, Strides sa, const T* __restrict__ bs, Strides sb, T* out, Dims d",
                    $"T u = as[strided_offset(i, d, sa)]; T v = bs[strided_offset(i, d, sb)]; out[i] = {expr};"));
                sb.Append(Instantiate(BinaryScalarName(kind, dtype), cType, "const T* __restrict__ xs, double s, T* __restrict__ ys",
                    $"T u = xs[i]; T v = T(s); ys[i] = {expr};"));
            }
        return sb.ToString();
    }
}
