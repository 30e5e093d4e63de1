using System.Globalization;
using Backprop.Cli.Output;

namespace Backprop.Cli.Commands;

/// <summary>
/// <c>explain --attention</c>: one attention head on three tokens of two features, every number written out. Forward:
/// Q = X·W_Q, K = X·W_K, V = X·W_V, S = Q·Kᵀ/√d (−∞ above the diagonal with <c>--causal</c>), A = softmax(S) by row,
/// O = A·V, L = ½Σ(O − T)². Backward by the chain rule: ∂L/∂O = O − T, ∂L/∂V = Aᵀ·∂L/∂O, ∂L/∂A = ∂L/∂O·Vᵀ,
/// ∂L/∂S = A ⊙ (∂L/∂A − rowsum(A ⊙ ∂L/∂A)), ∂L/∂Q = ∂L/∂S·K/√d, ∂L/∂K = ∂L/∂Sᵀ·Q/√d, ∂L/∂W = Xᵀ·∂L/∂(Q|K|V).
/// </summary>
internal sealed class AttentionWalk
{
    /// <summary>The fixed example: three tokens, two features, the head's weights and the target.</summary>
    public static readonly double[,] X = { { 1, 0 }, { 0, 1 }, { 1, 1 } };
    public static readonly double[,] Wq = { { 1.0, -0.5 }, { 0.5, 2.0 } };
    public static readonly double[,] Wk = { { 1.5, 0.5 }, { -1.0, 1.0 } };
    public static readonly double[,] Wv = { { 1.0, 0.0 }, { 0.5, -1.0 } };
    public static readonly double[,] T = { { 0, 1 }, { 1, 0 }, { 1, 1 } };

    private readonly bool causal;

    public AttentionWalk(bool causal)
    {
        this.causal = causal;
        int n = X.GetLength(0), d = Wq.GetLength(1);
        double scale = 1 / Math.Sqrt(d);
        Q = Mul(X, Wq); K = Mul(X, Wk); V = Mul(X, Wv);
        S = Scale(Mul(Q, Transpose(K)), scale);
        if (causal)
            for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) S[i, j] = double.NegativeInfinity;
        A = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int j = 0; j < n; j++) max = Math.Max(max, S[i, j]);
            for (int j = 0; j < n; j++) sum += A[i, j] = Math.Exp(S[i, j] - max);
            for (int j = 0; j < n; j++) A[i, j] /= sum;
        }
        O = Mul(A, V);
        DO = new double[n, O.GetLength(1)];
        for (int i = 0; i < n; i++) for (int j = 0; j < O.GetLength(1); j++) { DO[i, j] = O[i, j] - T[i, j]; Loss += 0.5 * DO[i, j] * DO[i, j]; }
        DV = Mul(Transpose(A), DO);
        DA = Mul(DO, Transpose(V));
        DS = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            double dot = 0;
            for (int j = 0; j < n; j++) dot += A[i, j] * DA[i, j];
            for (int j = 0; j < n; j++) DS[i, j] = A[i, j] * (DA[i, j] - dot);
        }
        DQ = Scale(Mul(DS, K), scale);
        DK = Scale(Mul(Transpose(DS), Q), scale);
        DWq = Mul(Transpose(X), DQ); DWk = Mul(Transpose(X), DK); DWv = Mul(Transpose(X), DV);
    }

    public double[,] Q { get; } public double[,] K { get; } public double[,] V { get; }
    public double[,] S { get; } public double[,] A { get; } public double[,] O { get; }
    public double Loss { get; }
    public double[,] DO { get; } public double[,] DA { get; } public double[,] DS { get; }
    public double[,] DQ { get; } public double[,] DK { get; } public double[,] DV { get; }
    public double[,] DWq { get; } public double[,] DWk { get; } public double[,] DWv { get; }

    public List<Section> Sections()
    {
        string[] keys = ["query", "key 1", "key 2", "key 3"];
        string[] features = ["token", "1", "2"];
        var weights = new List<string[]>();
        foreach (var (name, w) in new[] { ("W_Q", Wq), ("W_K", Wk), ("W_V", Wv) })
            for (int r = 0; r < w.GetLength(0); r++) weights.Add([name, $"{r + 1}", .. Row(w, r)]);
        var output = Rows(O);
        for (int i = 0; i < output.Count; i++) output[i] = [.. output[i], .. Row(T, i)];
        output.Add(["L = ½Σ(O − T)²", N(Loss), "", "", ""]);
        return
        [
            new("Input X: 3 tokens × 2 features", features, Rows(X)),
            new("Weights of the head (d = 2): Q = X·W_Q, K = X·W_K, V = X·W_V", ["matrix", "row", "1", "2"], weights),
            new("Queries, keys and values", ["token", "q1", "q2", "k1", "k2", "v1", "v2"], Joined(Q, K, V)),
            new($"Scores S = Q·Kᵀ/√d{(causal ? ", −∞ where a key comes after the query (causal)" : "")}", keys, Rows(S)),
            new("Softmax weights A = softmax(S), each row sums to 1", keys, Rows(A)),
            new("Output O = A·V and the loss against the target T", ["token", "o1", "o2", "t1", "t2"], output),
            new("Backward: ∂L/∂O = O − T", ["token", "∂o1", "∂o2"], Rows(DO)),
            new("∂L/∂A = ∂L/∂O·Vᵀ", keys, Rows(DA)),
            new("Through the softmax: ∂L/∂S = A ⊙ (∂L/∂A − Σⱼ A·∂L/∂A), by row", keys, Rows(DS),
                "Each row of ∂L/∂S sums to 0: adding a constant to a row of scores does not change its softmax."),
            new("Gradients of Q, K, V: ∂L/∂Q = ∂L/∂S·K/√d, ∂L/∂K = ∂L/∂Sᵀ·Q/√d, ∂L/∂V = Aᵀ·∂L/∂O",
                ["token", "∂q1", "∂q2", "∂k1", "∂k2", "∂v1", "∂v2"], Joined(DQ, DK, DV)),
            new("Gradients of the weights: ∂L/∂W_Q = Xᵀ·∂L/∂Q, ∂L/∂W_K = Xᵀ·∂L/∂K, ∂L/∂W_V = Xᵀ·∂L/∂V", ["matrix", "row", "1", "2"],
                [.. new[] { ("∂W_Q", DWq), ("∂W_K", DWk), ("∂W_V", DWv) }.SelectMany(p => Enumerable.Range(0, 2).Select(r => Prefixed([p.Item1, $"{r + 1}"], Row(p.Item2, r))))]),
        ];
    }

    /// <summary>
    /// The same head built from tensors — <c>Functional.ScaledDotProductAttention</c> (causal or not) and Backward() — and the
    /// largest difference from the chain rule above over ∂L/∂W_Q, ∂L/∂W_K, ∂L/∂W_V and the output.
    /// </summary>
    public double CheckAgainstAutograd()
    {
        var x = Tensor.FromArray(X);
        var wq = Tensor.FromArray(Wq, requiresGrad: true);
        var wk = Tensor.FromArray(Wk, requiresGrad: true);
        var wv = Tensor.FromArray(Wv, requiresGrad: true);
        var o = NN.Functional.ScaledDotProductAttention(x.MatMul(wq), x.MatMul(wk), x.MatMul(wv), isCausal: causal);
        var diff = o - Tensor.FromArray(T);
        (0.5 * (diff * diff).Sum()).Backward();
        double worst = 0;
        foreach (var (t, expected) in new[] { (o.Detach(), O), (wq.Grad!, DWq), (wk.Grad!, DWk), (wv.Grad!, DWv) })
        {
            var got = t.ToArray();
            for (int i = 0; i < expected.GetLength(0); i++)
                for (int j = 0; j < expected.GetLength(1); j++) worst = Math.Max(worst, Math.Abs(got[i * expected.GetLength(1) + j] - expected[i, j]));
        }
        return worst;
    }

    private static string N(double v) => double.IsNegativeInfinity(v) ? "-∞" : v.ToString("0.######", CultureInfo.InvariantCulture);

    private static string[] Row(double[,] m, int r) => [.. Enumerable.Range(0, m.GetLength(1)).Select(c => N(m[r, c]))];

    private static List<string[]> Rows(double[,] m) =>
        [.. Enumerable.Range(0, m.GetLength(0)).Select(r => Prefixed([$"{r + 1}"], Row(m, r)))];

    private static List<string[]> Joined(params double[][,] ms) =>
        [.. Enumerable.Range(0, ms[0].GetLength(0)).Select(r => Prefixed([$"{r + 1}"], [.. ms.SelectMany(m => Row(m, r))]))];

    private static string[] Prefixed(string[] labels, string[] values) => [.. labels, .. values];

    private static double[,] Mul(double[,] a, double[,] b)
    {
        int n = a.GetLength(0), k = a.GetLength(1), m = b.GetLength(1);
        var c = new double[n, m];
        for (int i = 0; i < n; i++) for (int j = 0; j < m; j++) { double s = 0; for (int p = 0; p < k; p++) s += a[i, p] * b[p, j]; c[i, j] = s; }
        return c;
    }

    private static double[,] Transpose(double[,] a)
    {
        var t = new double[a.GetLength(1), a.GetLength(0)];
        for (int i = 0; i < a.GetLength(0); i++) for (int j = 0; j < a.GetLength(1); j++) t[j, i] = a[i, j];
        return t;
    }

    private static double[,] Scale(double[,] a, double s)
    {
        var c = (double[,])a.Clone();
        for (int i = 0; i < c.GetLength(0); i++) for (int j = 0; j < c.GetLength(1); j++) c[i, j] *= s;
        return c;
    }
}
