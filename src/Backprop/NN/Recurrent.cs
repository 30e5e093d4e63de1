using System.Globalization;

namespace Backprop.NN;

/// <summary>
/// Shared part of <see cref="Rnn"/>, <see cref="Lstm"/> and <see cref="Gru"/> (<c>torch.nn.RNNBase</c>): stacked,
/// optionally bidirectional layers over a sequence [T, N, input] (or [N, T, input] with <c>batchFirst</c>, or unbatched
/// [T, input]). Parameters are named as PyTorch's (<c>weight_ih_l0</c>, <c>weight_hh_l0</c>, <c>bias_ih_l0</c>,
/// <c>bias_hh_l0</c>, <c>…_reverse</c> for the backward direction) so a PyTorch state dict loads as is.
/// </summary>
public abstract class RecurrentBase : Module
{
    private readonly RecurrentMode mode;
    private readonly Parameter[][] weights; // [layer * directions + direction] -> w_ih, w_hh (, b_ih, b_hh)
    private readonly Generator dropoutGenerator;

    private protected RecurrentBase(RecurrentMode mode, int inputSize, int hiddenSize, int numLayers, bool bias, bool batchFirst,
        double dropout, bool bidirectional, Generator? generator, DType dtype, long dropoutSeed)
    {
        string op = GetType().Name;
        RecurrentStep.CheckSizes(op, inputSize, hiddenSize);
        if (numLayers <= 0) throw new ArgumentException($"{op}: numLayers must be positive, got {numLayers}.");
        if (dropout < 0 || dropout > 1) throw new ArgumentException($"{op}: dropout has to be between 0 and 1, but got {dropout}.");
        this.mode = mode;
        InputSize = inputSize; HiddenSize = hiddenSize; NumLayers = numLayers; HasBias = bias;
        BatchFirst = batchFirst; Dropout = dropout; Bidirectional = bidirectional;
        dropoutGenerator = new Generator(dropoutSeed);
        int dirs = Directions;
        weights = new Parameter[numLayers * dirs][];
        for (int layer = 0; layer < numLayers; layer++)
            for (int dir = 0; dir < dirs; dir++)
            {
                int layerInput = layer == 0 ? inputSize : hiddenSize * dirs;
                var ws = RecurrentStep.CreateWeights(mode, layerInput, hiddenSize, bias, generator, dtype);
                weights[layer * dirs + dir] = ws;
                string suffix = string.Create(CultureInfo.InvariantCulture, $"_l{layer}{(dir == 1 ? "_reverse" : "")}");
                string[] names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"];
                for (int i = 0; i < ws.Length; i++) RegisterParameter(names[i] + suffix, ws[i]);
            }
    }

    /// <summary>Features of the input (<c>input_size</c>).</summary>
    public int InputSize { get; }
    /// <summary>Features of each direction's hidden state (<c>hidden_size</c>).</summary>
    public int HiddenSize { get; }
    /// <summary>Stacked layers (<c>num_layers</c>).</summary>
    public int NumLayers { get; }
    /// <summary>Whether the layers have biases (<c>bias</c>).</summary>
    public bool HasBias { get; }
    /// <summary>Input and output are [N, T, features] instead of [T, N, features] (<c>batch_first</c>); states stay [layers·dirs, N, hidden].</summary>
    public bool BatchFirst { get; }
    /// <summary>Dropout probability on the output of every layer but the last, in training mode (<c>dropout</c>).</summary>
    public double Dropout { get; }
    /// <summary>Whether each layer also runs backwards in time (<c>bidirectional</c>).</summary>
    public bool Bidirectional { get; }
    /// <summary>1, or 2 when bidirectional.</summary>
    public int Directions => Bidirectional ? 2 : 1;
    /// <summary>The generator the between-layer dropout masks come from.</summary>
    public Generator DropoutGenerator => dropoutGenerator;

    /// <summary>
    /// Whether LSTM and GRU directions without <c>lengths</c> run as one fused autograd node per direction (default)
    /// instead of composed per-step ops; the results are the same, the fused path is faster and allocates less. PyTorch
    /// has no such switch (it picks cuDNN's fused RNN by itself; <c>torch.backends.cudnn.enabled</c> comes closest).
    /// </summary>
    public bool Fused { get; set; } = true;

    /// <summary>The parameters per layer and direction in PyTorch's order (<c>all_weights</c>): [w_ih, w_hh, b_ih, b_hh].</summary>
    public IReadOnlyList<IReadOnlyList<Parameter>> AllWeights => weights;

    /// <summary>Runs all layers; <paramref name="h0"/>/<paramref name="c0"/> are [layers·dirs, N, hidden] ([layers·dirs, hidden] unbatched) or null for zeros.</summary>
    private protected (Tensor Output, Tensor HN, Tensor? CN) Run(Tensor input, Tensor? h0, Tensor? c0, SequenceLengths? lengths)
    {
        string op = GetType().Name;
        if (input.Rank != 2 && input.Rank != 3)
            throw new ArgumentException($"{op}: expected input of 2 (unbatched [T, {InputSize}]) or 3 dimensions ({(BatchFirst ? "[N, T, " : "[T, N, ")}{InputSize}]), got shape {input.ShapeString}.");
        if (input.Size(-1) != InputSize)
            throw new ArgumentException($"{op}: input of shape {input.ShapeString} has {input.Size(-1)} features, expected input_size={InputSize}.");
        bool batched = input.Rank == 3;
        var x = !batched ? input.Unsqueeze(1) : BatchFirst ? input.Transpose(0, 1) : input; // [T, N, F]
        int steps = x.Size(0), batch = x.Size(1), dirs = Directions;
        var h = State(h0, "h0", batched, batch, input);
        var c = mode == RecurrentMode.Lstm ? State(c0, "c0", batched, batch, input) : null;
        var masks = lengths is { } l ? StepMasks(l.Check(batch, steps, op, input.ShapeString), steps, input) : null;
        var hn = new List<Tensor>(); var cn = new List<Tensor>();
        for (int layer = 0; layer < NumLayers; layer++)
        {
            var outs = new Tensor[dirs];
            for (int dir = 0; dir < dirs; dir++)
            {
                int k = layer * dirs + dir;
                var (o, hk, ck) = RunDirection(x, weights[k], h.Select(0, k), c?.Select(0, k), dir == 1, masks);
                outs[dir] = o; hn.Add(hk);
                if (ck is not null) cn.Add(ck);
            }
            x = dirs == 1 ? outs[0] : Tensor.Cat(outs, 2);
            if (layer < NumLayers - 1 && Dropout > 0 && IsTraining) x = Functional.Dropout(x, Dropout, true, dropoutGenerator);
        }
        var hN = Tensor.Stack(hn, 0);
        var cN = cn.Count > 0 ? Tensor.Stack(cn, 0) : null;
        if (!batched) return (x.Squeeze(1), hN.Squeeze(1), cN?.Squeeze(1));
        return (BatchFirst ? x.Transpose(0, 1) : x, hN, cN);
    }

    private (Tensor Output, Tensor H, Tensor? C) RunDirection(Tensor x, Parameter[] w, Tensor h, Tensor? c, bool reverse, Tensor[]? masks)
    {
        int steps = x.Size(0), batch = x.Size(1);
        // The input projection of every step at once: one [T·N, F] × [F, gates·H] product.
        var xProj = Tensor.Linear(x.Reshape([steps * batch, x.Size(2)]), w[0], HasBias ? w[2] : null).Reshape([steps, batch, -1]);
        if (mode == RecurrentMode.Lstm && masks is null && Fused)
        {
            // One node for the whole direction (Tensor.LstmSequence); the composed step serves higher-order gradients.
            var hc = Tensor.LstmSequence(xProj, h, c!, w[1], HasBias ? w[3] : null, reverse,
                (xt, hPrev, cPrev) => { var (hn, cn) = RecurrentStep.Next(mode, xt, hPrev, cPrev, w[1], HasBias ? w[3] : null); return (hn, cn!); });
            int last = reverse ? 0 : steps;
            return (hc[0].Narrow(0, reverse ? 0 : 1, steps), hc[0, last], hc[1, last]);
        }
        if (mode == RecurrentMode.Gru && masks is null && Fused)
        {
            var hs = Tensor.GruSequence(xProj, h, w[1], HasBias ? w[3] : null, reverse,
                (xt, hPrev) => RecurrentStep.Next(mode, xt, hPrev, null, w[1], HasBias ? w[3] : null).H);
            return (hs.Narrow(0, reverse ? 0 : 1, steps), hs[reverse ? 0 : steps], null);
        }
        var outputs = new Tensor[steps];
        for (int s = 0; s < steps; s++)
        {
            int t = reverse ? steps - 1 - s : s;
            var (hNext, cNext) = RecurrentStep.Next(mode, xProj.Select(0, t), h, c, w[1], HasBias ? w[3] : null);
            if (masks is null) { outputs[t] = hNext; h = hNext; c = cNext; continue; }
            // Past a sequence's end its state is carried unchanged and its output is zero, as with packed sequences;
            // the reverse direction so starts from h0 at each sequence's own last step.
            var m = masks[t];
            outputs[t] = hNext * m;
            h = Tensor.Where(m, hNext, h);
            if (c is not null) c = Tensor.Where(m, cNext!, c);
        }
        return (Tensor.Stack(outputs, 0), h, c);
    }

    /// <summary>Per step t, a [N, 1] mask that is 1 where t is inside the sequence.</summary>
    private static Tensor[] StepMasks(int[] lengths, int steps, Tensor input)
    {
        var masks = new Tensor[steps];
        for (int t = 0; t < steps; t++)
            masks[t] = Tensor.FromArray(lengths.Select(n => t < n ? 1.0 : 0.0).ToArray(), [lengths.Length, 1]).To(input.Storage.Allocator).To(input.DType);
        return masks;
    }

    private Tensor State(Tensor? state, string what, bool batched, int batch, Tensor input)
    {
        int[] expected = batched ? [NumLayers * Directions, batch, HiddenSize] : [NumLayers * Directions, HiddenSize];
        if (state is null) return Tensor.Full(batched ? expected : [expected[0], 1, HiddenSize], 0, input.DType, input);
        if (!state.Shape.SequenceEqual(expected))
            throw new ArgumentException($"{GetType().Name}: {what} has shape {state.ShapeString}, expected {ShapeUtil.Format(expected)} (num_layers·directions, batch, hidden_size) for input of shape {input.ShapeString}.");
        return batched ? state : state.Unsqueeze(1);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr()
    {
        var s = $"{InputSize}, {HiddenSize}";
        if (NumLayers != 1) s += $", num_layers={NumLayers}";
        if (!HasBias) s += ", bias=False";
        if (BatchFirst) s += ", batch_first=True";
        if (Dropout != 0) s += string.Create(CultureInfo.InvariantCulture, $", dropout={Dropout}");
        if (Bidirectional) s += ", bidirectional=True";
        return s;
    }
}

/// <summary>
/// Multi-layer Elman RNN, h_t = act(W_ih·x_t + b_ih + W_hh·h_{t−1} + b_hh) with act tanh or relu (<c>torch.nn.RNN</c>).
/// </summary>
public sealed class Rnn : RecurrentBase
{
    /// <summary>Creates the layers; <paramref name="generator"/> seeds the U(±1/√hidden) initialisation, <paramref name="dropoutSeed"/> the dropout masks.</summary>
    public Rnn(int inputSize, int hiddenSize, int numLayers = 1, string nonlinearity = "tanh", bool bias = true, bool batchFirst = false,
        double dropout = 0, bool bidirectional = false, Generator? generator = null, DType dtype = DType.Float32, long dropoutSeed = 0)
        : base(RnnCell.RnnLayerMode(nonlinearity, "Rnn"), inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, generator, dtype, dropoutSeed)
        => Nonlinearity = nonlinearity;

    /// <summary>"tanh" or "relu" (<c>nonlinearity</c>).</summary>
    public string Nonlinearity { get; }

    /// <summary>The output sequence only, from zero initial states (so the layer fits in a <see cref="Sequential"/>).</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null).Output;

    /// <summary>
    /// (output, h_n) as <c>RNN.forward</c>: output [T, N, dirs·hidden] (batch first: [N, T, …]), h_n [layers·dirs, N, hidden].
    /// <paramref name="lengths"/> stands for a packed batch (see <see cref="SequenceLengths"/>).
    /// </summary>
    public (Tensor Output, Tensor HN) Forward(Tensor input, Tensor? hx, SequenceLengths? lengths = null)
    {
        var (o, h, _) = Run(input, hx, null, lengths);
        return (o, h);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => base.ExtraRepr() + (Nonlinearity == "tanh" ? "" : $", nonlinearity='{Nonlinearity}'");
}

/// <summary>Multi-layer LSTM with PyTorch's gate order i, f, g, o (<c>torch.nn.LSTM</c>; <c>proj_size</c> is not supported).</summary>
public sealed class Lstm : RecurrentBase
{
    /// <summary>Creates the layers; <paramref name="generator"/> seeds the U(±1/√hidden) initialisation, <paramref name="dropoutSeed"/> the dropout masks.</summary>
    public Lstm(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false,
        double dropout = 0, bool bidirectional = false, Generator? generator = null, DType dtype = DType.Float32, long dropoutSeed = 0)
        : base(RecurrentMode.Lstm, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, generator, dtype, dropoutSeed) { }

    /// <summary>The output sequence only, from zero initial states.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null).Output;

    /// <summary>
    /// (output, (h_n, c_n)) as <c>LSTM.forward</c>; <paramref name="hx"/> is (h_0, c_0), each [layers·dirs, N, hidden], or
    /// null for zeros. <paramref name="lengths"/> stands for a packed batch (see <see cref="SequenceLengths"/>).
    /// </summary>
    public (Tensor Output, (Tensor HN, Tensor CN) State) Forward(Tensor input, (Tensor H0, Tensor C0)? hx, SequenceLengths? lengths = null)
    {
        var (o, h, c) = Run(input, hx?.H0, hx?.C0, lengths);
        return (o, (h, c!));
    }
}

/// <summary>Multi-layer GRU with PyTorch's gate order r, z, n (<c>torch.nn.GRU</c>).</summary>
public sealed class Gru : RecurrentBase
{
    /// <summary>Creates the layers; <paramref name="generator"/> seeds the U(±1/√hidden) initialisation, <paramref name="dropoutSeed"/> the dropout masks.</summary>
    public Gru(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false,
        double dropout = 0, bool bidirectional = false, Generator? generator = null, DType dtype = DType.Float32, long dropoutSeed = 0)
        : base(RecurrentMode.Gru, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, generator, dtype, dropoutSeed) { }

    /// <summary>The output sequence only, from zero initial states.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null).Output;

    /// <summary>(output, h_n) as <c>GRU.forward</c>; <paramref name="lengths"/> stands for a packed batch (see <see cref="SequenceLengths"/>).</summary>
    public (Tensor Output, Tensor HN) Forward(Tensor input, Tensor? hx, SequenceLengths? lengths = null)
    {
        var (o, h, _) = Run(input, hx, null, lengths);
        return (o, h);
    }
}
