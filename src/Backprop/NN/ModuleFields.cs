using System.Collections;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace Backprop.NN;

/// <summary>
/// The fields of a <see cref="Module"/> type that hold parameters, tensors or child modules, found once per type and
/// kept in a stable order: base classes first, then each type's fields in metadata-token order, which is the order the
/// C# compiler emits them — declaration order (<c>Type.GetFields</c> alone documents no order).
/// </summary>
internal static class ModuleFields
{
    private static readonly ConcurrentDictionary<Type, FieldInfo[]> Members = new();
    private static readonly ConcurrentDictionary<Type, FieldInfo[]> Collections = new();

    /// <summary>Fields whose type is a <see cref="Module"/> or a <see cref="Tensor"/>, in the stable order.</summary>
    public static FieldInfo[] Of([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.NonPublicFields)] Type type) =>
        Members.GetOrAdd(type, t => Select(t, f => IsMember(f.FieldType)));

    /// <summary>Fields holding a collection (array, list, …) whose element type is a module or a tensor.</summary>
    public static FieldInfo[] CollectionsOf(Type type) =>
        Collections.GetOrAdd(type, t => Select(t, f => !IsMember(f.FieldType) && ElementType(f.FieldType) is { } e && IsMember(e)));

    /// <summary>
    /// Throws when a collection field holds a module or parameter that was not registered with
    /// <see cref="Module.RegisterModule"/> / <see cref="Module.RegisterParameter"/>: it would be skipped silently
    /// (no parameters for the optimizer, nothing in the state dict), as a plain list is in PyTorch.
    /// </summary>
    public static void CheckCollections(Module module, Func<object, bool> isRegistered)
    {
        foreach (var f in CollectionsOf(module.GetType()))
        {
            if (f.GetValue(module) is not IEnumerable items) continue;
            foreach (var item in items)
                if (item is Module or Parameter && !isRegistered(item))
                    throw new InvalidOperationException(
                        $"{module.GetType().Name}.{f.Name} holds a {item.GetType().Name} that is not registered, so its parameters would be " +
                        "invisible to Parameters(), StateDict() and To(). Keep child modules in a ModuleList or Sequential, or call " +
                        "RegisterModule/RegisterParameter for each element (torch.nn.ModuleList / ParameterList).");
        }
    }

    /// <summary>A member's state-dict name: the C# name without a leading underscore, first letter lower-cased (Fc1 → fc1).</summary>
    public static string Name(FieldInfo f)
    {
        var n = f.Name;
        if (n.StartsWith('<')) n = n[1..n.IndexOf('>')]; // auto-property backing field
        n = n.TrimStart('_');
        return n.Length > 0 ? char.ToLowerInvariant(n[0]) + n[1..] : n;
    }

    private static bool IsMember(Type t) => typeof(Module).IsAssignableFrom(t) || typeof(Tensor).IsAssignableFrom(t);

    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Interfaces of a field's declared type; a trimmed-away interface only means the field is not checked.")]
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "Interfaces of a field's declared type; a trimmed-away interface only means the field is not checked.")]
    private static Type? ElementType(Type t)
    {
        if (t.IsArray) return t.GetElementType();
        if (t == typeof(string) || !typeof(IEnumerable).IsAssignableFrom(t)) return null;
        foreach (var i in t.IsInterface ? [t, .. t.GetInterfaces()] : t.GetInterfaces())
            if (i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>)) return i.GetGenericArguments()[0];
        return null;
    }

    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Module is annotated so that derived types keep their fields.")]
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "Module is annotated so that derived types keep their fields.")]
    private static FieldInfo[] Select(Type type, Func<FieldInfo, bool> keep)
    {
        var types = new List<Type>();
        for (Type? t = type; t is not null && t != typeof(Module); t = t.BaseType) types.Add(t);
        types.Reverse();
        var result = new List<FieldInfo>();
        foreach (var t in types)
        {
            var fields = t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly).Where(keep).ToArray();
            // Metadata tokens give declaration order under the JIT. NativeAOT keeps no tokens (MetadataToken throws there);
            // its reflection lists a type's fields in declaration order, which is then used as it is.
            if (fields.All(f => f.HasMetadataToken())) fields = [.. fields.OrderBy(f => f.MetadataToken)];
            result.AddRange(fields);
        }
        return [.. result];
    }
}
