using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Backprop.NN;

/// <summary>
/// Base class of layers and models (<c>torch.nn.Module</c>). Parameters and child modules held in fields are found
/// automatically, base class first and then in declaration order (metadata-token order, stable across runs), and named
/// after the field (<c>fc1.weight</c>); <see cref="RegisterModule"/> and <see cref="RegisterParameter"/> add more by name.
/// A field holding an array or list of modules must have its elements registered (use <see cref="ModuleList"/>),
/// otherwise <see cref="Parameters"/> throws instead of skipping them.
/// </summary>
[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.NonPublicFields)]
public abstract partial class Module
{
    private readonly List<(string Name, Module Module)> registeredModules = [];
    private readonly List<(string Name, Parameter? Parameter)> registeredParameters = [];
    private readonly List<(string Name, Tensor Buffer)> registeredBuffers = [];

    /// <summary>The forward computation (<c>module.forward</c>).</summary>
    public abstract Tensor Forward(Tensor input);

    /// <summary>True in training mode (<c>module.training</c>); affects layers such as <see cref="Dropout"/>.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>Sets training mode on this module and all children (<c>module.train(mode)</c>).</summary>
    public Module Train(bool mode = true)
    {
        foreach (var m in Modules()) m.IsTraining = mode;
        return this;
    }

    /// <summary>Sets evaluation mode (<c>module.eval()</c>).</summary>
    public Module Eval() => Train(false);

    /// <summary>Adds a named child module (<c>module.add_module</c> / <c>register_module</c>).</summary>
    public void RegisterModule(string name, Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        registeredModules.Add((name, module));
        Interlocked.Increment(ref structureVersion);
    }

    /// <summary>Adds a named parameter (<c>module.register_parameter</c>); null registers an absent one (e.g. no bias).</summary>
    public void RegisterParameter(string name, Parameter? parameter)
    {
        registeredParameters.Add((name, parameter));
        Interlocked.Increment(ref structureVersion);
    }

    /// <summary>Adds a named non-learnable tensor saved in the state dict (<c>module.register_buffer</c>).</summary>
    public void RegisterBuffer(string name, Tensor buffer) => registeredBuffers.Add((name, buffer.DetachFromScope()));

    /// <summary>Direct children with their names (<c>module.named_children()</c>).</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren()
    {
        foreach (var f in ModuleFields.Of(GetType()))
            if (f.GetValue(this) is Module m) yield return (ModuleFields.Name(f), m);
        foreach (var r in registeredModules) yield return r;
    }

    /// <summary>This module and all descendants, depth first (<c>module.modules()</c>).</summary>
    public IEnumerable<Module> Modules()
    {
        var stack = new Stack<Module>();
        stack.Push(this);
        while (stack.Count > 0)
        {
            var m = stack.Pop();
            yield return m;
            foreach (var (_, c) in m.NamedChildren().Reverse()) stack.Push(c);
        }
    }

    /// <summary>All parameters with dotted names such as <c>0.weight</c> or <c>fc1.bias</c> (<c>module.named_parameters()</c>).</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters(string prefix = "")
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (name, p) in NamedParametersAll(prefix))
            if (seen.Add(p)) yield return (name, p);
    }

    private IEnumerable<(string, Parameter)> NamedParametersAll(string prefix)
    {
        foreach (var (name, p) in OwnParameters()) yield return (prefix + name, p);
        foreach (var (name, child) in NamedChildren())
            foreach (var item in child.NamedParametersAll(prefix + name + ".")) yield return item;
    }

    private IEnumerable<(string, Parameter)> OwnParameters()
    {
        ModuleFields.CheckCollections(this, IsRegistered);
        foreach (var f in ModuleFields.Of(GetType()))
            if (f.GetValue(this) is Parameter p) yield return (ModuleFields.Name(f), p);
        foreach (var (name, p) in registeredParameters)
            if (p is not null) yield return (name, p);
    }

    private bool IsRegistered(object item) =>
        registeredModules.Exists(r => ReferenceEquals(r.Module, item)) || registeredParameters.Exists(r => ReferenceEquals(r.Parameter, item));

    /// <summary>
    /// All parameters (<c>module.parameters()</c>), for an optimizer, in the order of <see cref="NamedParameters"/>.
    /// The list is cached and rebuilt when a module's registrations or its fields' values change.
    /// </summary>
    public IEnumerable<Parameter> Parameters() => ParameterList();

    /// <summary>Number of scalar weights in all parameters.</summary>
    public long ParameterCount => Parameters().Sum(p => (long)p.Numel);

    /// <summary>Clears the gradients of all parameters (<c>module.zero_grad(set_to_none)</c>).</summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var p in Parameters())
        {
            if (setToNone) p.Grad = null;
            else p.Grad?.Zero_();
        }
    }

    /// <summary>Named buffers of this module and its descendants.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(string prefix = "")
    {
        foreach (var (name, b) in registeredBuffers) yield return (prefix + name, b);
        foreach (var (name, child) in NamedChildren())
            foreach (var item in child.NamedBuffers(prefix + name + ".")) yield return item;
    }

    /// <summary>
    /// Parameters and buffers by dotted name (<c>module.state_dict()</c>). The tensors share storage with the module:
    /// clone them (or save them) to keep a snapshot.
    /// </summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var (name, p) in NamedParameters()) d[name] = p.Detach();
        foreach (var (name, b) in NamedBuffers()) d[name] = b;
        return d;
    }

    /// <summary>
    /// Copies values from <paramref name="stateDict"/> into the parameters and buffers (<c>module.load_state_dict</c>).
    /// With <paramref name="strict"/>, missing or unexpected keys throw, listing them all; a shape mismatch always throws.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true)
    {
        var own = StateDict();
        var missing = own.Keys.Where(k => !stateDict.ContainsKey(k)).ToList();
        var unexpected = stateDict.Keys.Where(k => !own.ContainsKey(k)).ToList();
        var mismatched = own.Where(kv => stateDict.TryGetValue(kv.Key, out var v) && !v.Shape.SequenceEqual(kv.Value.Shape))
            .Select(kv => $"{kv.Key}: checkpoint has shape {ShapeUtil.Format(stateDict[kv.Key].Shape)}, the model has {ShapeUtil.Format(kv.Value.Shape)}").ToList();
        var problems = new List<string>();
        if (strict && missing.Count > 0) problems.Add("missing keys: " + string.Join(", ", missing));
        if (strict && unexpected.Count > 0) problems.Add("unexpected keys: " + string.Join(", ", unexpected));
        if (mismatched.Count > 0) problems.Add("size mismatch for " + string.Join("; ", mismatched));
        if (problems.Count > 0)
            throw new ArgumentException($"Error(s) in loading state dict for {GetType().Name}: {string.Join(". ", problems)}.");
        using (Autograd.NoGrad())
            foreach (var (key, target) in own)
                if (stateDict.TryGetValue(key, out var value)) target.Copy_(value);
    }

    /// <summary>A summary in PyTorch's style, e.g. <c>Sequential(\n  (0): Linear(in_features=4, out_features=2, bias=True)\n)</c>.</summary>
    public override string ToString()
    {
        var children = NamedChildren().ToList();
        if (children.Count == 0) return $"{GetType().Name}({ExtraRepr()})";
        var sb = new StringBuilder(GetType().Name).Append("(\n");
        foreach (var (name, child) in children)
            sb.Append("  (").Append(name).Append("): ").Append(child.ToString().Replace("\n", "\n  ")).Append('\n');
        return sb.Append(')').ToString();
    }

    /// <summary>The settings shown inside the parentheses by <see cref="ToString"/> (<c>module.extra_repr()</c>).</summary>
    protected virtual string ExtraRepr() => "";
}
