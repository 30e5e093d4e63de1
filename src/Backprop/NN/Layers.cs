namespace Backprop.NN;

/// <summary>
/// Fully connected layer y = x·Wᵀ + b (<c>torch.nn.Linear</c>), with PyTorch's default initialisation: Kaiming-uniform
/// weight with a = √5 (U(±1/√in)) and bias U(±1/√in).
/// </summary>
public sealed class Linear : Module
{
    /// <summary>Weight of shape [outFeatures, inFeatures] (state-dict name <c>weight</c>).</summary>
    public Parameter Weight { get; }
    /// <summary>Bias of shape [outFeatures], or null (state-dict name <c>bias</c>).</summary>
    public Parameter? Bias { get; }

    /// <summary>Creates the layer; <paramref name="generator"/> seeds its initial weights.</summary>
    public Linear(int inFeatures, int outFeatures, bool hasBias = true, Generator? generator = null, DType dtype = DType.Float32)
    {
        if (inFeatures <= 0 || outFeatures <= 0) throw new ArgumentException($"Linear: features must be positive, got in={inFeatures}, out={outFeatures}.");
        InFeatures = inFeatures; OutFeatures = outFeatures;
        Weight = new Parameter(Tensor.Zeros([outFeatures, inFeatures], dtype));
        Init.KaimingUniform(Weight, a: Math.Sqrt(5), generator: generator);
        if (hasBias)
        {
            Bias = new Parameter(Tensor.Zeros([outFeatures], dtype));
            double bound = 1 / Math.Sqrt(inFeatures);
            Init.Uniform(Bias, -bound, bound, generator);
        }
    }

    /// <summary>Input size.</summary>
    public int InFeatures { get; }
    /// <summary>Output size.</summary>
    public int OutFeatures { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Tensor.Linear(input, Weight, Bias);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"in_features={InFeatures}, out_features={OutFeatures}, bias={(Bias is null ? "False" : "True")}";
}

/// <summary>Runs modules one after another (<c>torch.nn.Sequential</c>); children are named 0, 1, 2, ….</summary>
public sealed class Sequential : Module
{
    private readonly Module[] layers;

    /// <summary>Creates the chain.</summary>
    public Sequential(params Module[] modules)
    {
        layers = modules;
        for (int i = 0; i < modules.Length; i++) RegisterModule(i.ToString(System.Globalization.CultureInfo.InvariantCulture), modules[i]);
    }

    /// <summary>The i-th module.</summary>
    public Module this[int i] => layers[i];

    /// <summary>Number of modules.</summary>
    public int Count => layers.Length;

    /// <summary>
    /// Runs each <see cref="Relu"/> that is directly followed by a <see cref="MaxPool2d"/> as the pool first and the ReLU
    /// on its (smaller) output: max commutes with ReLU, and the window's winner, the values and every gradient are the
    /// same bit for bit, while the full-size ReLU pass and its backward are skipped. A 2×2 stride-2 pool applies the
    /// ReLU as it stores each maximum (one node, <c>MaxPool2DReluBackward</c>, one pass each way); other windows record
    /// the pool's node, then <c>ReluBackward</c>. A <see cref="Conv2d"/> right before the pair joins it in one node too
    /// (<c>ConvolutionReluMaxPool2DBackward</c>), whose backward goes from the pooled gradient to the convolution's without
    /// the full-size gradient in between. On by default; false records the graph in the written order.
    /// PyTorch has no counterpart (its eager mode runs modules as written; <c>torch.compile</c> makes rewrites like it).
    /// </summary>
    public bool PoolBeforeRelu { get; set; } = true;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        for (int i = 0; i < layers.Length; i++)
        {
            if (layers[i] is Conv2d conv && SwapsAt(i + 1))
            {
                input = conv.ForwardReluMaxPool(input, (MaxPool2d)layers[i + 2]);
                i += 2;
            }
            else if (SwapsAt(i))
            {
                input = ((MaxPool2d)layers[i + 1]).ForwardRelu(input);
                i++;
            }
            else input = layers[i].Forward(input);
        }
        return input;
    }

    /// <summary>True when <see cref="Forward"/> runs modules i and i + 1 (a ReLU and a max-pool) as pool, then ReLU.</summary>
    internal bool SwapsAt(int i) => PoolBeforeRelu && i + 1 < layers.Length && layers[i] is Relu && layers[i + 1] is MaxPool2d;
}

/// <summary>A list of modules whose parameters are registered (<c>torch.nn.ModuleList</c>); it has no forward of its own.</summary>
public sealed class ModuleList : Module
{
    private readonly List<Module> items = [];

    /// <summary>Creates the list.</summary>
    public ModuleList(params Module[] modules) { foreach (var m in modules) Add(m); }

    /// <summary>Appends a module (<c>append</c>).</summary>
    public void Add(Module module)
    {
        RegisterModule(items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        items.Add(module);
    }

    /// <summary>The i-th module.</summary>
    public Module this[int i] => items[i];

    /// <summary>Number of modules.</summary>
    public int Count => items.Count;

    /// <summary>The modules in order.</summary>
    public IReadOnlyList<Module> Items => items;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException("ModuleList has no Forward: iterate over its Items in your own module's Forward.");
}

/// <summary>Flattens dimensions startDim..endDim (<c>torch.nn.Flatten</c>, default from dim 1).</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Flatten(startDim, endDim);

    /// <summary>First dim flattened (<c>start_dim</c>).</summary>
    public int StartDim => startDim;

    /// <summary>Last dim flattened (<c>end_dim</c>).</summary>
    public int EndDim => endDim;
}

/// <summary>Returns its input (<c>torch.nn.Identity</c>).</summary>
public sealed class Identity : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input;
}

/// <summary>
/// Zeroes each element with probability p in training and scales the rest by 1/(1−p); does nothing in eval mode
/// (<c>torch.nn.Dropout</c>). Masks are drawn from <see cref="Generator.Default"/>, as in PyTorch, so two dropout
/// layers draw different masks; pass a <see cref="Generator"/> to give a layer a stream of its own.
/// </summary>
public sealed class Dropout : Module
{
    private readonly Generator? generator;

    /// <summary>Creates the layer with drop probability <paramref name="p"/>; masks come from <paramref name="generator"/>, else the default generator.</summary>
    public Dropout(double p = 0.5, Generator? generator = null)
    {
        if (p < 0 || p > 1) throw new ArgumentException($"Dropout probability has to be between 0 and 1, but got {p}.");
        P = p;
        this.generator = generator;
    }

    /// <summary>Drop probability.</summary>
    public double P { get; }

    /// <summary>
    /// The generator the masks come from (<see cref="Generator.Default"/> unless one was passed); a checkpoint saves its
    /// state so a resumed run draws the same masks.
    /// </summary>
    public Generator Generator => generator ?? Generator.Default;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Dropout(input, P, IsTraining, generator);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"p={P}";
}
