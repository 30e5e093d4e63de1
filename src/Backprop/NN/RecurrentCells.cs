namespace Backprop.NN;

/// <summary>The cell kinds of PyTorch's recurrent layers (<c>mode</c> of <c>torch.nn.RNNBase</c>).</summary>
internal enum RecurrentMode { RnnTanh, RnnRelu, Lstm, Gru }

/// <summary>
/// One time step of each recurrent cell, composed from tensor ops so autograd (and second-order gradients) come with
/// it. The input projection W_ih·x + b_ih is passed in already computed, so a layer can do it for all steps in one GEMM.
/// </summary>
internal static class RecurrentStep
{
    /// <summary>Rows of weight_ih per hidden unit: 4 for LSTM (i, f, g, o), 3 for GRU (r, z, n), 1 for RNN.</summary>
    public static int Gates(RecurrentMode mode) => mode switch { RecurrentMode.Lstm => 4, RecurrentMode.Gru => 3, _ => 1 };

    /// <summary>The new hidden state (and, for LSTM, cell state) from the projected input and the previous state.</summary>
    public static (Tensor H, Tensor? C) Next(RecurrentMode mode, Tensor xProj, Tensor h, Tensor? c, Tensor weightHh, Tensor? biasHh)
    {
        var hProj = Tensor.Linear(h, weightHh, biasHh);
        switch (mode)
        {
            case RecurrentMode.RnnTanh: return ((xProj + hProj).Tanh(), null);
            case RecurrentMode.RnnRelu: return ((xProj + hProj).Relu(), null);
            case RecurrentMode.Lstm:
            {
                var gates = (xProj + hProj).Chunk(4, -1);
                var i = gates[0].Sigmoid();
                var f = gates[1].Sigmoid();
                var g = gates[2].Tanh();
                var o = gates[3].Sigmoid();
                var cNext = f * c! + i * g;
                return (o * cNext.Tanh(), cNext);
            }
            default:
            {
                var xi = xProj.Chunk(3, -1);
                var hh = hProj.Chunk(3, -1);
                var r = (xi[0] + hh[0]).Sigmoid();
                var z = (xi[1] + hh[1]).Sigmoid();
                var n = (xi[2] + r * hh[2]).Tanh();
                return ((1 - z) * n + z * h, null);
            }
        }
    }

    /// <summary>Creates weight_ih/weight_hh/bias_ih/bias_hh (bias only when <paramref name="bias"/>), each U(±1/√hidden) as PyTorch's <c>reset_parameters</c>.</summary>
    public static Parameter[] CreateWeights(RecurrentMode mode, int inputSize, int hiddenSize, bool bias, Generator? generator, DType dtype)
    {
        int rows = Gates(mode) * hiddenSize;
        var ps = bias
            ? new[] { Tensor.Zeros([rows, inputSize], dtype), Tensor.Zeros([rows, hiddenSize], dtype), Tensor.Zeros([rows], dtype), Tensor.Zeros([rows], dtype) }
            : new[] { Tensor.Zeros([rows, inputSize], dtype), Tensor.Zeros([rows, hiddenSize], dtype) };
        double k = 1 / Math.Sqrt(hiddenSize);
        return ps.Select(t => { var p = new Parameter(t); Init.Uniform(p, -k, k, generator); return p; }).ToArray();
    }

    /// <summary>Checks sizes shared by the cells and layers.</summary>
    public static void CheckSizes(string op, int inputSize, int hiddenSize)
    {
        if (inputSize <= 0 || hiddenSize <= 0)
            throw new ArgumentException($"{op}: inputSize and hiddenSize must be positive, got inputSize={inputSize}, hiddenSize={hiddenSize}.");
    }
}

/// <summary>
/// Shared part of <see cref="RnnCell"/>, <see cref="LstmCell"/> and <see cref="GruCell"/> (<c>torch.nn.RNNCellBase</c>):
/// parameters <c>weight_ih</c> [gates·hidden, input], <c>weight_hh</c> [gates·hidden, hidden], <c>bias_ih</c>,
/// <c>bias_hh</c> [gates·hidden], all initialised U(±1/√hidden).
/// </summary>
public abstract class RecurrentCellBase : Module
{
    private readonly Parameter[] weights; // not Parameter fields: the state-dict names are PyTorch's, registered below
    private readonly RecurrentMode mode;

    private protected RecurrentCellBase(RecurrentMode mode, int inputSize, int hiddenSize, bool bias, Generator? generator, DType dtype)
    {
        RecurrentStep.CheckSizes(GetType().Name, inputSize, hiddenSize);
        this.mode = mode;
        InputSize = inputSize; HiddenSize = hiddenSize;
        weights = RecurrentStep.CreateWeights(mode, inputSize, hiddenSize, bias, generator, dtype);
        string[] names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"];
        for (int i = 0; i < weights.Length; i++) RegisterParameter(names[i], weights[i]);
    }

    /// <summary>Features of the input (<c>input_size</c>).</summary>
    public int InputSize { get; }
    /// <summary>Features of the hidden state (<c>hidden_size</c>).</summary>
    public int HiddenSize { get; }
    /// <summary>Input-to-hidden weight (<c>weight_ih</c>).</summary>
    public Parameter WeightIh => weights[0];
    /// <summary>Hidden-to-hidden weight (<c>weight_hh</c>).</summary>
    public Parameter WeightHh => weights[1];
    /// <summary>Input-to-hidden bias (<c>bias_ih</c>), or null without bias.</summary>
    public Parameter? BiasIh => weights.Length > 2 ? weights[2] : null;
    /// <summary>Hidden-to-hidden bias (<c>bias_hh</c>), or null without bias.</summary>
    public Parameter? BiasHh => weights.Length > 2 ? weights[3] : null;

    /// <summary>Checks the input ([N, input] or unbatched [input]) and a state, returning the zero state when it is null.</summary>
    private protected Tensor CheckState(Tensor input, Tensor? state, string what)
    {
        string op = GetType().Name;
        if (input.Rank != 1 && input.Rank != 2)
            throw new ArgumentException($"{op}: expected input of 1 (unbatched) or 2 dimensions [batch, {InputSize}], got shape {input.ShapeString}.");
        if (input.Size(-1) != InputSize)
            throw new ArgumentException($"{op}: input has {input.Size(-1)} features (shape {input.ShapeString}), expected input_size={InputSize}.");
        int[] expected = input.Rank == 2 ? [input.Size(0), HiddenSize] : [HiddenSize];
        if (state is null) return Tensor.Full(expected, 0, input.DType, input);
        if (!state.Shape.SequenceEqual(expected))
            throw new ArgumentException($"{op}: {what} has shape {state.ShapeString}, expected {ShapeUtil.Format(expected)} for input of shape {input.ShapeString}.");
        return state;
    }

    private protected (Tensor H, Tensor? C) StepCell(Tensor input, Tensor h, Tensor? c) =>
        RecurrentStep.Next(mode, Tensor.Linear(input, WeightIh, BiasIh), h, c, WeightHh, BiasHh);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{InputSize}, {HiddenSize}{(BiasIh is null ? ", bias=False" : "")}";
}

/// <summary>Elman RNN cell h' = act(W_ih·x + b_ih + W_hh·h + b_hh), act tanh or relu (<c>torch.nn.RNNCell</c>).</summary>
public sealed class RnnCell : RecurrentCellBase
{
    /// <summary>Creates the cell; <paramref name="nonlinearity"/> is "tanh" or "relu".</summary>
    public RnnCell(int inputSize, int hiddenSize, bool bias = true, string nonlinearity = "tanh", Generator? generator = null, DType dtype = DType.Float32)
        : base(RnnLayerMode(nonlinearity, "RnnCell"), inputSize, hiddenSize, bias, generator, dtype) => Nonlinearity = nonlinearity;

    /// <summary>"tanh" or "relu" (<c>nonlinearity</c>).</summary>
    public string Nonlinearity { get; }

    /// <summary>One step from a zero hidden state.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>One step: input [N, input] (or [input]) and hidden state [N, hidden] (zeros when null) give h' (<c>RNNCell.forward</c>).</summary>
    public Tensor Forward(Tensor input, Tensor? hx) => StepCell(input, CheckState(input, hx, "hx"), null).H;

    internal static RecurrentMode RnnLayerMode(string nonlinearity, string op) => nonlinearity switch
    {
        "tanh" => RecurrentMode.RnnTanh,
        "relu" => RecurrentMode.RnnRelu,
        _ => throw new ArgumentException($"{op}: unknown nonlinearity '{nonlinearity}', expected \"tanh\" or \"relu\"."),
    };
}

/// <summary>
/// LSTM cell with PyTorch's gate order i, f, g, o: c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c') (<c>torch.nn.LSTMCell</c>).
/// </summary>
public sealed class LstmCell : RecurrentCellBase
{
    /// <summary>Creates the cell.</summary>
    public LstmCell(int inputSize, int hiddenSize, bool bias = true, Generator? generator = null, DType dtype = DType.Float32)
        : base(RecurrentMode.Lstm, inputSize, hiddenSize, bias, generator, dtype) { }

    /// <summary>One step from zero states, returning h' only; <see cref="Forward(Tensor, ValueTuple{Tensor, Tensor}?)"/> returns (h', c').</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null).H;

    /// <summary>One step: input [N, input] (or [input]) and (h, c) each [N, hidden] (zeros when null) give (h', c') (<c>LSTMCell.forward</c>).</summary>
    public (Tensor H, Tensor C) Forward(Tensor input, (Tensor H, Tensor C)? hx)
    {
        var h = CheckState(input, hx?.H, "h");
        var c = CheckState(input, hx?.C, "c");
        var (hNext, cNext) = StepCell(input, h, c);
        return (hNext, cNext!);
    }
}

/// <summary>
/// GRU cell with PyTorch's gate order r, z, n: n = tanh(W_in·x + b_in + r·(W_hn·h + b_hn)), h' = (1 − z)·n + z·h
/// (<c>torch.nn.GRUCell</c>).
/// </summary>
public sealed class GruCell : RecurrentCellBase
{
    /// <summary>Creates the cell.</summary>
    public GruCell(int inputSize, int hiddenSize, bool bias = true, Generator? generator = null, DType dtype = DType.Float32)
        : base(RecurrentMode.Gru, inputSize, hiddenSize, bias, generator, dtype) { }

    /// <summary>One step from a zero hidden state.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>One step: input [N, input] (or [input]) and hidden state [N, hidden] (zeros when null) give h' (<c>GRUCell.forward</c>).</summary>
    public Tensor Forward(Tensor input, Tensor? hx) => StepCell(input, CheckState(input, hx, "hx"), null).H;
}
