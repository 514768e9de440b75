package kubelet

import (
	"context"
	"net/netip"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// podState is what the kubelet knows of a pod's one container.
type podState struct {
	running bool
	ready   bool
	// reason and message say why a container that is not running waits.
	reason, message string
	ip              netip.Addr
	started         time.Time
	restarts        int32
}

// report writes the pod's status for st, on the latest version of the pod. A pod gone meanwhile is
// not an error.
func (k *Kubelet) report(ctx context.Context, pod *corev1.Pod, st podState) {
	pods := k.opts.Client.CoreV1().Pods(pod.Namespace)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := pods.Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if cur.UID != pod.UID || cur.DeletionTimestamp != nil {
			return nil
		}
		cur.Status = k.podStatus(cur, st)
		_, err = pods.UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	if err != nil && !apierrors.IsNotFound(err) && ctx.Err() == nil {
		k.opts.Log.Warn("report pod status", "pod", pod.Namespace+"/"+pod.Name, "err", err)
	}
}

// podStatus is the status of pod for st, keeping what the API server set (QoS class) and the times
// of conditions that did not change.
func (k *Kubelet) podStatus(pod *corev1.Pod, st podState) corev1.PodStatus {
	now := metav1.Now()
	out := corev1.PodStatus{
		Phase:    corev1.PodPending,
		QOSClass: pod.Status.QOSClass,
		HostIP:   k.hostIP,
		HostIPs:  []corev1.HostIP{{IP: k.hostIP}},
	}
	if pod.Status.StartTime != nil {
		out.StartTime = pod.Status.StartTime
	} else {
		out.StartTime = &now
	}
	cs := corev1.ContainerStatus{Ready: st.ready, RestartCount: st.restarts, Started: &st.running}
	if len(pod.Spec.Containers) > 0 {
		cs.Name, cs.Image = pod.Spec.Containers[0].Name, pod.Spec.Containers[0].Image
	}
	if st.running {
		out.Phase = corev1.PodRunning
		out.PodIP = st.ip.String()
		out.PodIPs = []corev1.PodIP{{IP: out.PodIP}}
		cs.State.Running = &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(st.started)}
		cs.ContainerID = "conformance://" + string(pod.UID)
	} else {
		cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: st.reason, Message: st.message}
	}
	out.ContainerStatuses = []corev1.ContainerStatus{cs}
	ready := corev1.ConditionFalse
	if st.ready {
		ready = corev1.ConditionTrue
	}
	for _, c := range []struct {
		t      corev1.PodConditionType
		status corev1.ConditionStatus
	}{
		{corev1.PodScheduled, corev1.ConditionTrue},
		{corev1.PodInitialized, corev1.ConditionTrue},
		{corev1.ContainersReady, ready},
		{corev1.PodReady, ready},
	} {
		out.Conditions = append(out.Conditions, condition(pod.Status.Conditions, c.t, c.status, now))
	}
	return out
}

// condition returns a pod condition, keeping its transition time when its status stays.
func condition(old []corev1.PodCondition, t corev1.PodConditionType, status corev1.ConditionStatus, now metav1.Time) corev1.PodCondition {
	for _, c := range old {
		if c.Type == t && c.Status == status {
			return c
		}
	}
	return corev1.PodCondition{Type: t, Status: status, LastTransitionTime: now}
}
