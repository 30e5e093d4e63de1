namespace Backprop;

/// <summary>
/// Grad-mode scopes and functional gradients: the counterparts of <c>torch.no_grad</c>, <c>torch.enable_grad</c>,
/// <c>torch.autograd.detect_anomaly</c> and <c>torch.autograd.grad</c> (TensorFlow's GradientTape use).
/// Grad mode is per thread.
/// </summary>
public static class Autograd
{
    [ThreadStatic] private static bool gradDisabled;
    [ThreadStatic] private static bool anomaly;

    /// <summary>Whether ops are recorded on this thread (<c>torch.is_grad_enabled()</c>).</summary>
    public static bool IsGradEnabled => !gradDisabled;

    /// <summary>Whether anomaly detection is on for this thread (<c>torch.is_anomaly_enabled()</c>).</summary>
    public static bool IsAnomalyEnabled => anomaly;

    /// <summary>Turns recording off until the returned scope is disposed (<c>with torch.no_grad():</c>).</summary>
    public static Scope NoGrad() => SetGradEnabled(false);

    /// <summary>Turns recording on until the returned scope is disposed (<c>with torch.enable_grad():</c>).</summary>
    public static Scope EnableGrad() => SetGradEnabled(true);

    /// <summary>Sets grad mode; disposing the returned scope restores the previous mode (<c>torch.set_grad_enabled</c>).</summary>
    public static Scope SetGradEnabled(bool enabled)
    {
        var scope = new Scope(gradDisabled, anomaly);
        gradDisabled = !enabled;
        return scope;
    }

    /// <summary>
    /// Anomaly detection until disposed (<c>torch.autograd.detect_anomaly()</c>): nodes remember where their forward op was
    /// called, and the first NaN or infinity produced in backward throws, naming the op and that place.
    /// </summary>
    public static Scope DetectAnomaly()
    {
        var scope = new Scope(gradDisabled, anomaly);
        anomaly = true;
        return scope;
    }

    /// <summary>Restores the grad mode and anomaly mode that were in force when it was created.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly bool wasDisabled, wasAnomaly;
        internal Scope(bool wasDisabled, bool wasAnomaly) { this.wasDisabled = wasDisabled; this.wasAnomaly = wasAnomaly; }

        /// <summary>Restores the previous modes.</summary>
        public void Dispose() { gradDisabled = wasDisabled; anomaly = wasAnomaly; }
    }

    /// <summary>
    /// Gradients of <paramref name="outputs"/> with respect to <paramref name="inputs"/>, without touching any
    /// <see cref="Tensor.Grad"/> (<c>torch.autograd.grad</c>; TensorFlow's <c>tape.gradient</c>).
    /// </summary>
    /// <param name="outputs">Tensors to differentiate; each needs a matching entry in <paramref name="gradOutputs"/> unless it has one element.</param>
    /// <param name="inputs">Tensors (leaves or not) that require grad.</param>
    /// <param name="gradOutputs">The vector in the vector-Jacobian product for each output (default ones for one-element outputs).</param>
    /// <param name="retainGraph">Keep saved tensors for another backward; defaults to <paramref name="createGraph"/>.</param>
    /// <param name="createGraph">Record the backward pass itself, so the returned gradients can be differentiated again.</param>
    /// <param name="allowUnused">Return zeros for inputs the outputs do not depend on instead of throwing.</param>
    public static Tensor[] Grad(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor?>? gradOutputs = null,
        bool? retainGraph = null, bool createGraph = false, bool allowUnused = false)
    {
        for (int i = 0; i < inputs.Count; i++)
            if (!inputs[i].RequiresGrad)
                throw new ArgumentException($"Autograd.Grad: input {i} (shape {inputs[i].ShapeString}) does not require grad; create it with requiresGrad: true.");
        var results = Engine.Run(outputs, gradOutputs, retainGraph ?? createGraph, createGraph, inputs);
        var grads = new Tensor[inputs.Count];
        for (int i = 0; i < grads.Length; i++)
        {
            if (results![i] is { } g) grads[i] = g;
            else if (allowUnused) grads[i] = Tensor.ZerosLike(inputs[i]);
            else throw new InvalidOperationException(
                $"Autograd.Grad: input {i} (shape {inputs[i].ShapeString}) was not used to compute the outputs. Pass allowUnused: true to get zeros for it.");
        }
        return grads;
    }

    /// <summary>Single-output form of <see cref="Grad(IReadOnlyList{Tensor}, IReadOnlyList{Tensor}, IReadOnlyList{Tensor?}?, bool?, bool, bool)"/>.</summary>
    public static Tensor[] Grad(Tensor output, IReadOnlyList<Tensor> inputs, Tensor? gradOutput = null,
        bool? retainGraph = null, bool createGraph = false, bool allowUnused = false) =>
        Grad([output], inputs, [gradOutput], retainGraph, createGraph, allowUnused);
}
