using System.Text.Json;
using Fluid;
using Fluid.Values;

namespace Orchestrator.Core.Liquid;

/// <summary>
/// The names a journey expression or template can read (<c>event</c>, <c>entry</c>, <c>customer</c>,
/// <c>journey</c>), as Fluid values built from JSON. A name that does not exist is nil.
/// </summary>
public sealed class Scope
{
    private readonly List<KeyValuePair<string, FluidValue>> _values = new(4);
    private TemplateContext? _conditions;

    /// <summary>Sets a name, replacing an earlier value of the same name.</summary>
    public Scope Set(string name, FluidValue value)
    {
        var index = _values.FindIndex(v => v.Key == name);
        if (index >= 0)
            _values[index] = new(name, value);
        else
            _values.Add(new(name, value));
        _conditions = null;
        return this;
    }

    /// <summary>A fresh context, for rendering: the <c>required</c> filter leaves its findings in it.</summary>
    internal TemplateContext CreateContext()
    {
        var context = new TemplateContext(LiquidSandbox.Options, StringComparer.Ordinal);
        foreach (var (name, value) in _values)
            context.SetValue(name, value);
        return context;
    }

    /// <summary>One context shared by the conditions evaluated in this scope: they only read it.</summary>
    internal TemplateContext ConditionContext() => _conditions ??= CreateContext();

    public static FluidValue FromJson(JsonElement? element) => element is { } e ? FromJson(e) : NilValue.Instance;

    public static FluidValue FromJson(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => new DictionaryValue(new JsonObjectIndexable(element)),
        JsonValueKind.Array => new ArrayValue(element.EnumerateArray().Select(FromJson).ToArray()),
        JsonValueKind.String => new StringValue(element.GetString() ?? ""),
        JsonValueKind.Number => element.TryGetDecimal(out var d) ? NumberValue.Create(d) : NumberValue.Create((decimal)element.GetDouble()),
        JsonValueKind.True => BooleanValue.True,
        JsonValueKind.False => BooleanValue.False,
        _ => NilValue.Instance,
    };

    public static FluidValue FromString(string? value) => value is null ? NilValue.Instance : new StringValue(value);

    public static FluidValue FromObject(IReadOnlyDictionary<string, FluidValue> members) => new DictionaryValue(new MapIndexable(members));

    private sealed class JsonObjectIndexable(JsonElement element) : IFluidIndexable
    {
        public int Count => element.EnumerateObject().Count();

        public IEnumerable<string> Keys => element.EnumerateObject().Select(p => p.Name);

        public bool TryGetValue(string name, out FluidValue value)
        {
            if (element.TryGetProperty(name, out var property))
            {
                value = FromJson(property);
                return true;
            }
            value = NilValue.Instance;
            return false;
        }
    }

    private sealed class MapIndexable(IReadOnlyDictionary<string, FluidValue> members) : IFluidIndexable
    {
        public int Count => members.Count;

        public IEnumerable<string> Keys => members.Keys;

        public bool TryGetValue(string name, out FluidValue value)
        {
            if (members.TryGetValue(name, out var found))
            {
                value = found;
                return true;
            }
            value = NilValue.Instance;
            return false;
        }
    }
}
