namespace Orchestrator.Core.Journeys;

/// <summary>What an edge of the journey graph stands for: which field of its step leads there.</summary>
public enum EdgeKind
{
    /// <summary>The step's <c>next</c>, else the step after it in the file, else the end.</summary>
    Next,

    /// <summary>A <c>wait_for</c> step's awaited event arrived (<c>on_event</c>).</summary>
    Event,

    /// <summary>A <c>wait_for</c> step's <c>timeout</c> passed (<c>on_timeout</c>).</summary>
    Timeout,

    /// <summary>A branch case whose <c>when</c> held.</summary>
    Case,

    /// <summary>A branch's <c>else</c>, taken when no case held.</summary>
    Else,

    /// <summary>A split variant.</summary>
    Variant,
}

/// <summary>One way out of a step: <see cref="To"/> is a step id, or null for the end of the journey.</summary>
/// <param name="Label">What the journey map writes on the edge; null for a plain next.</param>
public sealed record JourneyEdge(EdgeKind Kind, string? Label, string? To);

/// <summary>
/// Where a journey goes from each step. The rule "a step's <c>next</c>, else the step after it in the file, else the
/// end" and the ways out of each kind are written here only: the loader's checks, the engine, the journey map and the
/// analysis all ask this graph. Adding a step kind means a case in <see cref="Successors"/> and, if it waits, in
/// <see cref="Waits"/>.
/// </summary>
public sealed class JourneyGraph
{
    /// <summary>The YAML keyword of every step kind, in the order error messages list them (each record's <see cref="Step.Kind"/>).</summary>
    public static readonly IReadOnlyList<string> StepKinds = ["email", "wait", "wait_until", "wait_for", "branch", "split", "exit"];

    private readonly IReadOnlyList<Step> _steps;

    /// <summary>The first position of each id: a duplicate id (a load error) never becomes a target.</summary>
    private readonly Dictionary<string, int> _first;

    /// <param name="steps">The steps in file order; the loader passes steps that failed to load fully too, to check the rest.</param>
    public JourneyGraph(IReadOnlyList<Step> steps)
    {
        _steps = steps;
        _first = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < steps.Count; i++)
            _first.TryAdd(steps[i].Id, i);
    }

    /// <summary>Whether an instance stops at this step until a time or an event; only such a step may close a loop.</summary>
    public static bool Waits(Step step) => step is WaitStep or WaitUntilStep or WaitForStep;

    /// <summary>The step's <c>next</c>, else the id of the step after it in the file, else null (the end).</summary>
    public string? Following(Step step)
    {
        var i = PositionOf(step);
        return step.Next ?? (i + 1 < _steps.Count ? _steps[i + 1].Id : null);
    }

    /// <summary>Every way out of the step, in the order the map draws them; an exit step has none.</summary>
    public IReadOnlyList<JourneyEdge> Successors(Step step)
    {
        var following = Following(step);
        switch (step)
        {
            case ExitStep:
                return [];
            case WaitForStep waitFor:
                return waitFor.Timeout is null
                    ? [new JourneyEdge(EdgeKind.Event, waitFor.Event, waitFor.OnEvent ?? following)]
                    : [new JourneyEdge(EdgeKind.Event, waitFor.Event, waitFor.OnEvent ?? following), new JourneyEdge(EdgeKind.Timeout, "timeout", waitFor.OnTimeout ?? following)];
            case BranchStep branch:
                return [.. branch.Cases.Select(c => new JourneyEdge(EdgeKind.Case, c.When.Source, c.Next)), new JourneyEdge(EdgeKind.Else, "else", branch.Else ?? following)];
            case SplitStep split:
                var total = split.Variants.Sum(v => v.Weight);
                return [.. split.Variants.Select(v => new JourneyEdge(EdgeKind.Variant, $"{v.Variant} {100.0 * v.Weight / total:0.#}%", v.Next ?? following))];
            default:
                return [new JourneyEdge(EdgeKind.Next, null, following)];
        }
    }

    /// <summary>
    /// The loops an instance could run through without ever waiting, each as its steps in file order; such a loop
    /// would spin within one decision.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<Step>> CyclesWithoutWait()
    {
        var successors = _steps.Select(TargetPositions).ToList();
        // Tarjan's strongly connected components over the steps that do not wait.
        var cycles = new List<IReadOnlyList<Step>>();
        var order = new int[_steps.Count];
        var low = new int[_steps.Count];
        var onStack = new bool[_steps.Count];
        var stack = new Stack<int>();
        var counter = 1;
        void Visit(int v)
        {
            order[v] = low[v] = counter++;
            stack.Push(v);
            onStack[v] = true;
            foreach (var w in successors[v].Where(w => !Waits(_steps[w])))
            {
                if (order[w] == 0)
                {
                    Visit(w);
                    low[v] = Math.Min(low[v], low[w]);
                }
                else if (onStack[w])
                {
                    low[v] = Math.Min(low[v], order[w]);
                }
            }
            if (low[v] != order[v])
                return;
            var component = new List<int>();
            int x;
            do
            {
                x = stack.Pop();
                onStack[x] = false;
                component.Add(x);
            }
            while (x != v);
            if (component.Count > 1 || successors[v].Contains(v))
            {
                component.Sort();
                cycles.Add(component.Select(i => _steps[i]).ToList());
            }
        }
        for (var v = 0; v < _steps.Count; v++)
        {
            if (order[v] == 0 && !Waits(_steps[v]))
                Visit(v);
        }
        return cycles;
    }

    /// <summary>The steps no path from the first step leads to, in file order (a duplicate id counts once, at its first place).</summary>
    public IReadOnlyList<Step> Unreachable()
    {
        if (_steps.Count == 0)
            return [];
        var successors = _steps.Select(TargetPositions).ToList();
        var reachable = new bool[_steps.Count];
        var queue = new Queue<int>([0]);
        reachable[0] = true;
        while (queue.Count > 0)
        {
            foreach (var next in successors[queue.Dequeue()])
            {
                if (!reachable[next])
                {
                    reachable[next] = true;
                    queue.Enqueue(next);
                }
            }
        }
        return _steps.Where((s, i) => !reachable[i] && _first[s.Id] == i).ToList();
    }

    /// <summary>
    /// Where the step's edges lead, as positions; targets that are not steps (a load error) are left out. A
    /// <c>wait_for</c> without a timeout counts its following step too, as the loader always has: that keeps its
    /// warnings as they were (the map draws no timeout edge for it).
    /// </summary>
    private List<int> TargetPositions(Step step)
    {
        var targets = Successors(step).Select(e => e.To).ToList();
        if (step is WaitForStep { Timeout: null } waitFor)
            targets.Add(waitFor.OnTimeout ?? Following(step));
        return targets.Where(id => id is not null && _first.ContainsKey(id)).Select(id => _first[id!]).ToList();
    }

    /// <summary>The step's own place: by reference first, since a file with a duplicate id has two steps of one id.</summary>
    private int PositionOf(Step step)
    {
        if (_first.TryGetValue(step.Id, out var i) && ReferenceEquals(_steps[i], step))
            return i;
        for (var j = 0; j < _steps.Count; j++)
        {
            if (ReferenceEquals(_steps[j], step))
                return j;
        }
        return _first.TryGetValue(step.Id, out i) ? i : _steps.Count;
    }
}
