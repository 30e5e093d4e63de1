using System.CommandLine;
using Backprop.Cli.Output;
using Spectre.Console;

namespace Backprop.Cli.Commands;

/// <summary>
/// <c>backprop explain</c>: backpropagation by the numbers for a small sigmoid MLP with loss ½Σ(y − ŷ)² — forward pass,
/// loss, deltas, gradients and the updated parameters, layer by layer — computed by the chain rule written out, and
/// checked against the autograd engine.
/// </summary>
internal static class ExplainCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var net = new Option<string>("--net") { Description = "layer sizes, input to output (default 1,2,1: the classic example)", DefaultValueFactory = _ => "1,2,1" }.PositiveInts(minCount: 2, max: 1000);
        var weights = new Option<string?>("--weights") { Description = "all weights then biases of each layer in order (W1 row-major [out,in], b1, W2, b2, ...); default: the classic example's for 1,2,1, seeded random otherwise" }.FiniteNumbers();
        var input = new Option<string?>("--input") { Description = "input values (default 2 for the classic example)" }.FiniteNumbers();
        var target = new Option<string?>("--target") { Description = "target values (default 1)" }.FiniteNumbers();
        var lr = new Option<double>("--lr") { Description = "learning rate", DefaultValueFactory = _ => 0.2 }.Within(0, double.PositiveInfinity, lowOpen: true);
        var format = new Option<string>("--format") { Description = "text | markdown | json", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "markdown", "json");
        var attention = new Option<bool>("--attention") { Description = "explain one attention head instead: Q, K, V, scores, softmax weights, output, and the gradients flowing back to each" };
        var causal = new Option<bool>("--causal") { Description = "with --attention: mask the keys after each query (a decoder's causal attention)" };
        var command = new Command("explain", "Show every number backpropagation computes for a small network (default: the 1-2-1 sigmoid example) or, with --attention, for one attention head.")
        {
            net, weights, input, target, lr, format, attention, causal,
        };
        command.Validators.Add(r =>
        {
            bool head = r.GetResult(attention) is { Implicit: false } && r.GetValue(attention);
            if (head && new Option[] { net, weights, input, target, lr }.FirstOrDefault(o => r.GetResult(o) is { Implicit: false }) is { } o)
                r.AddError($"{o.Name}: not used with --attention (its example is fixed: 3 tokens, 2 features)");
            else if (!head && r.GetResult(causal) is { Implicit: false }) r.AddError("--causal: only with --attention");
        });
        command.SetAction(r =>
        {
            if (r.GetValue(attention))
            {
                var head = new AttentionWalk(r.GetValue(causal));
                var parts = head.Sections();
                parts.Add(new Section("Check against autograd", ["quantity", "largest difference"], [["O, ∂L/∂W_Q, ∂L/∂W_K, ∂L/∂W_V", head.CheckAgainstAutograd().ToString("E2", System.Globalization.CultureInfo.InvariantCulture)]],
                    "The same head through Functional.ScaledDotProductAttention and Backward() gives these values."));
                Report.Render(console, r.GetValue(format)!, $"Backpropagation through one {(r.GetValue(causal) ? "causal " : "")}attention head", parts);
                return App.Ok;
            }
            var sizes = Options.Ints(r.GetValue(net)!, "--net");
            if (sizes.Length < 2) throw new ArgumentException("--net: need at least an input and an output size, e.g. 1,2,1");
            bool classic = sizes.SequenceEqual([1, 2, 1]);
            var w = r.GetValue(weights) is string ws ? Options.Doubles(ws, "--weights") : classic ? [1, -1, 3, 3, 2, 1, 0] : RandomWeights(sizes);
            var x = r.GetValue(input) is string xs ? Options.Doubles(xs, "--input") : classic ? [2.0] : Enumerable.Repeat(1.0, sizes[0]).ToArray();
            var y = r.GetValue(target) is string ts ? Options.Doubles(ts, "--target") : Enumerable.Repeat(1.0, sizes[^1]).ToArray();
            var walk = new BackpropWalk(sizes, w, x, y, r.GetValue(lr));
            var sections = walk.Sections();
            sections.Add(new Section("Check against autograd", ["quantity", "largest difference"], [["∂L/∂W, ∂L/∂b", walk.CheckAgainstAutograd().ToString("E2", System.Globalization.CultureInfo.InvariantCulture)]],
                "The same network built from tensors and differentiated by Backward() gives these gradients."));
            Report.Render(console, r.GetValue(format)!, $"Backpropagation through a {string.Join("-", sizes)} sigmoid network", sections);
            return App.Ok;
        });
        return command;
    }

    private static double[] RandomWeights(int[] sizes)
    {
        var g = new Generator(0);
        int count = 0;
        for (int l = 1; l < sizes.Length; l++) count += sizes[l] * sizes[l - 1] + sizes[l];
        return Enumerable.Range(0, count).Select(_ => Math.Round(g.NextNormal(), 2)).ToArray();
    }
}

/// <summary>The chain rule written out for a sigmoid MLP, keeping every intermediate value for display.</summary>
internal sealed class BackpropWalk
{
    private readonly int[] sizes;
    private readonly double[][,] w;
    private readonly double[][] b;
    private readonly double[] x, y;
    private readonly double lr;
    private readonly double[][] z, a, delta;
    private readonly double[][,] gradW;
    private readonly double loss;

    public BackpropWalk(int[] sizes, double[] weights, double[] x, double[] y, double lr)
    {
        this.sizes = sizes; this.x = x; this.y = y; this.lr = lr;
        int layers = sizes.Length - 1, expected = 0;
        for (int l = 1; l <= layers; l++) expected += sizes[l] * sizes[l - 1] + sizes[l];
        if (weights.Length != expected) throw new ArgumentException($"--weights: a {string.Join("-", sizes)} network has {expected} weights and biases, got {weights.Length}");
        if (x.Length != sizes[0]) throw new ArgumentException($"--input: expected {sizes[0]} values, got {x.Length}");
        if (y.Length != sizes[^1]) throw new ArgumentException($"--target: expected {sizes[^1]} values, got {y.Length}");
        w = new double[layers][,]; b = new double[layers][];
        int k = 0;
        for (int l = 0; l < layers; l++)
        {
            w[l] = new double[sizes[l + 1], sizes[l]];
            for (int i = 0; i < sizes[l + 1]; i++) for (int j = 0; j < sizes[l]; j++) w[l][i, j] = weights[k++];
            b[l] = weights[k..(k + sizes[l + 1])]; k += sizes[l + 1];
        }
        // Forward: z = W·a + b, a = σ(z).
        z = new double[layers][]; a = new double[layers + 1][];
        a[0] = x;
        for (int l = 0; l < layers; l++)
        {
            z[l] = new double[sizes[l + 1]];
            for (int i = 0; i < z[l].Length; i++) { double s = b[l][i]; for (int j = 0; j < sizes[l]; j++) s += w[l][i, j] * a[l][j]; z[l][i] = s; }
            a[l + 1] = z[l].Select(v => 1 / (1 + Math.Exp(-v))).ToArray();
        }
        loss = 0.5 * y.Zip(a[layers]).Sum(p => (p.First - p.Second) * (p.First - p.Second));
        // Backward: δᴸ = (ŷ − y)·σ'(zᴸ), δˡ = (Wˡ⁺¹)ᵀδˡ⁺¹ · σ'(zˡ), ∂L/∂Wˡ = δˡ (aˡ⁻¹)ᵀ, ∂L/∂bˡ = δˡ.
        delta = new double[layers][]; gradW = new double[layers][,];
        for (int l = layers - 1; l >= 0; l--)
        {
            delta[l] = new double[sizes[l + 1]];
            for (int i = 0; i < delta[l].Length; i++)
            {
                double upstream = l == layers - 1 ? a[layers][i] - y[i] : Enumerable.Range(0, sizes[l + 2]).Sum(m => w[l + 1][m, i] * delta[l + 1][m]);
                delta[l][i] = upstream * a[l + 1][i] * (1 - a[l + 1][i]);
            }
            gradW[l] = new double[sizes[l + 1], sizes[l]];
            for (int i = 0; i < sizes[l + 1]; i++) for (int j = 0; j < sizes[l]; j++) gradW[l][i, j] = delta[l][i] * a[l][j];
        }
    }

    /// <summary>Gradients of dL/dW and dL/db for layer l (0-based), for tests.</summary>
    public (double[,] W, double[] B) Gradient(int layer) => (gradW[layer], delta[layer]);

    public double Loss => loss;

    private static string N(double v) => v.ToString("0.######", System.Globalization.CultureInfo.InvariantCulture);

    public List<Section> Sections()
    {
        int layers = sizes.Length - 1;
        var forward = new List<string[]>();
        for (int j = 0; j < x.Length; j++) forward.Add(["0 (input)", $"x{j + 1}", "", N(x[j])]);
        for (int l = 0; l < layers; l++)
            for (int i = 0; i < z[l].Length; i++)
                forward.Add([$"{l + 1}", $"neuron {i + 1}", N(z[l][i]), N(a[l + 1][i])]);
        var lossRows = y.Select((t, i) => new[] { $"output {i + 1}", N(a[layers][i]), N(t) }).ToList();
        lossRows.Add(["L = ½Σ(y − ŷ)²", "", N(loss)]);
        var deltas = new List<string[]>();
        for (int l = layers - 1; l >= 0; l--)
            for (int i = 0; i < delta[l].Length; i++) deltas.Add([$"{l + 1}", $"neuron {i + 1}", N(delta[l][i])]);
        var grads = new List<string[]>(); var updates = new List<string[]>();
        for (int l = 0; l < layers; l++)
        {
            for (int i = 0; i < sizes[l + 1]; i++)
            {
                for (int j = 0; j < sizes[l]; j++)
                {
                    string name = $"w{l + 1}[{i + 1},{j + 1}]";
                    grads.Add([name, N(gradW[l][i, j])]);
                    updates.Add([name, N(w[l][i, j]), N(w[l][i, j] - lr * gradW[l][i, j])]);
                }
                string bn = $"b{l + 1}[{i + 1}]";
                grads.Add([bn, N(delta[l][i])]);
                updates.Add([bn, N(b[l][i]), N(b[l][i] - lr * delta[l][i])]);
            }
        }
        return
        [
            new("Forward pass: z = W·a + b, a = σ(z)", ["layer", "unit", "z", "a"], forward),
            new("Loss", ["output", "ŷ", "y / L"], lossRows),
            new("Backward pass: δ (output: (ŷ − y)·ŷ(1 − ŷ); hidden: (Wᵀδ)·a(1 − a))", ["layer", "unit", "δ"], deltas),
            new("Gradients: ∂L/∂w = δ·a(previous), ∂L/∂b = δ", ["parameter", "gradient"], grads),
            new($"Update with learning rate {N(lr)}: θ ← θ − lr·∂L/∂θ", ["parameter", "before", "after"], updates,
                "Biases are per neuron; a tutorial that shares one bias across a layer uses the sum of that layer's bias gradients."),
        ];
    }

    /// <summary>Rebuilds the network from tensors, runs Backward(), and returns the largest difference from the hand-computed gradients.</summary>
    public double CheckAgainstAutograd()
    {
        int layers = sizes.Length - 1;
        var ws = new Tensor[layers]; var bs = new Tensor[layers];
        Tensor act = Tensor.FromArray(x).Reshape([sizes[0], 1]);
        for (int l = 0; l < layers; l++)
        {
            ws[l] = Tensor.FromArray(w[l], requiresGrad: true);
            bs[l] = Tensor.FromArray(b[l]).Reshape([sizes[l + 1], 1]).RequiresGrad_();
            act = (ws[l].MatMul(act) + bs[l]).Sigmoid();
        }
        var d = act - Tensor.FromArray(y).Reshape([sizes[^1], 1]);
        (0.5 * (d * d).Sum()).Backward();
        double worst = 0;
        for (int l = 0; l < layers; l++)
        {
            var gw = ws[l].Grad!.ToArray(); var gb = bs[l].Grad!.ToArray();
            for (int i = 0; i < sizes[l + 1]; i++)
            {
                for (int j = 0; j < sizes[l]; j++) worst = Math.Max(worst, Math.Abs(gw[i * sizes[l] + j] - gradW[l][i, j]));
                worst = Math.Max(worst, Math.Abs(gb[i] - delta[l][i]));
            }
        }
        return worst;
    }
}
